package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// $filter: the subset of OData Graph supports on these collections:
// "p eq 'v'", "p ne 'v'", "startswith(p,'v')", and on multi-valued
// properties the lambda "p/any(x:x eq 'v')" or "p/any(x:startswith(x,'v'))",
// joined with "and"/"or" (and binding tighter), and "not". The lambda is
// Graph's form for collections ("The any operator is required for filter
// expressions on multi-valued properties", application.identifierUris in
// the application resource type); Graph's own examples filter service
// principals with tags/any(t:t eq 'WindowsAzureActiveDirectoryIntegratedApp'),
// and tags supports eq and startsWith (application resource type).

// filterExpr is a parsed $filter; nil matches everything.
type filterExpr interface {
	eval(props map[string][]string) (bool, error)
}

// unsupportedProp is returned by eval for a property the resource cannot filter on.
type unsupportedProp string

func (e unsupportedProp) Error() string { return string(e) }

type filterAll struct{}

func (filterAll) eval(map[string][]string) (bool, error) { return true, nil }

type filterCmp struct {
	// op: eq, ne, startswith; any and anystartswith are the lambda forms
	// (x:x eq 'v' and x:startswith(x,'v')).
	op, prop, value string
}

func (c filterCmp) eval(props map[string][]string) (bool, error) {
	vals, ok := props[strings.ToLower(c.prop)]
	if !ok {
		return false, unsupportedProp(c.prop)
	}
	for _, v := range vals {
		switch c.op {
		case "eq", "any":
			if strings.EqualFold(v, c.value) {
				return true, nil
			}
		case "ne":
			if !strings.EqualFold(v, c.value) {
				return true, nil
			}
		case "startswith", "anystartswith":
			if len(v) >= len(c.value) && strings.EqualFold(v[:len(c.value)], c.value) {
				return true, nil
			}
		}
	}
	return c.op == "ne" && len(vals) == 0, nil
}

type filterBool struct {
	and  bool
	l, r filterExpr
}

func (b filterBool) eval(props map[string][]string) (bool, error) {
	l, err := b.l.eval(props)
	if err != nil {
		return false, err
	}
	r, err := b.r.eval(props)
	if err != nil {
		return false, err
	}
	if b.and {
		return l && r, nil
	}
	return l || r, nil
}

type filterNot struct{ x filterExpr }

func (n filterNot) eval(props map[string][]string) (bool, error) {
	v, err := n.x.eval(props)
	return !v, err
}

// filter parses the request's $filter, answering 400 itself when it cannot.
func (g *graphCall) filter() (filterExpr, bool) {
	raw := strings.TrimSpace(g.r.URL.Query().Get("$filter"))
	if raw == "" {
		return filterAll{}, true
	}
	e, err := parseFilter(raw)
	if err != nil {
		graphError(g.w, http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+err.Error())
		return nil, false
	}
	return e, true
}

func (g *graphCall) unsupportedFilter(err error, resource string) {
	var up unsupportedProp
	if errors.As(err, &up) {
		graphError(g.w, http.StatusBadRequest, "Request_UnsupportedQuery",
			"Unsupported or invalid query filter clause specified for property '"+string(up)+"' of resource '"+resource+"'.")
		return
	}
	graphError(g.w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported Query.")
}

// parseFilter parses a non-empty $filter.
func parseFilter(raw string) (filterExpr, error) {
	return (&filterParser{src: raw}).parse()
}

// filterParser is a small recursive-descent parser over the $filter text.
type filterParser struct {
	src string
	pos int
}

// filterSyntaxError is a $filter the parser cannot read, worded as OData's
// own parser words it (Microsoft.OData's ExpressionLexer_SyntaxError:
// "Syntax error at position {0} in '{1}'."), followed by what was expected.
// Graph answers it as "Invalid filter clause: " and this text.
type filterSyntaxError struct {
	pos         int
	src, detail string
}

func (e *filterSyntaxError) Error() string {
	return fmt.Sprintf("Syntax error at position %d in '%s'. %s", e.pos, e.src, e.detail)
}

func (p *filterParser) errorf(format string, args ...any) error {
	return &filterSyntaxError{pos: p.pos, src: p.src, detail: fmt.Sprintf(format, args...)}
}

func (p *filterParser) parse() (filterExpr, error) {
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.errorf("Unexpected '%s'.", p.src[p.pos:])
	}
	return e, nil
}

// parseOr parses operands joined by "or", whose operands are joined by
// "and": and binds tighter, as in OData.
func (p *filterParser) parseOr() (filterExpr, error) {
	return p.parseJoined("or", p.parseAnd)
}

func (p *filterParser) parseAnd() (filterExpr, error) {
	return p.parseJoined("and", p.parseUnary)
}

// parseJoined parses operands joined by a keyword, left to right.
func (p *filterParser) parseJoined(keyword string, operand func() (filterExpr, error)) (filterExpr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.keyword(keyword) {
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = filterBool{and: keyword == "and", l: l, r: r}
	}
	return l, nil
}

func (p *filterParser) parseUnary() (filterExpr, error) {
	if p.keyword("not") {
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return filterNot{x}, nil
	}
	p.skipSpace()
	if p.peek('(') {
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.expect(')') {
			return nil, p.errorf("')' expected.")
		}
		return e, nil
	}
	return p.parseComparison()
}

func (p *filterParser) parseComparison() (filterExpr, error) {
	id := p.ident()
	if id == "" {
		return nil, p.errorf("Expression expected.")
	}
	if strings.EqualFold(id, "startswith") {
		if !p.expect('(') {
			return nil, p.errorf("'(' expected.")
		}
		prop := p.ident()
		if prop == "" || !p.expect(',') {
			return nil, p.errorf("Property and ',' expected.")
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !p.expect(')') {
			return nil, p.errorf("')' expected.")
		}
		return filterCmp{op: "startswith", prop: prop, value: v}, nil
	}
	if p.peek('/') {
		return p.parseLambda(id)
	}
	var op string
	switch {
	case p.keyword("eq"):
		op = "eq"
	case p.keyword("ne"):
		op = "ne"
	default:
		return nil, p.errorf("Operator 'eq' or 'ne' expected after '%s'.", id)
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	return filterCmp{op: op, prop: id, value: v}, nil
}

// parseLambda parses the rest of "collection/any(x:x eq 'v')" or
// "collection/any(x:startswith(x,'v'))" after the collection's name.
func (p *filterParser) parseLambda(collection string) (filterExpr, error) {
	p.pos++ // the '/'
	if fn := p.ident(); !strings.EqualFold(fn, "any") || !p.expect('(') {
		return nil, p.errorf("'any(' expected.")
	}
	v1 := p.ident()
	if v1 == "" || !p.expect(':') {
		return nil, p.errorf("Lambda variable expected.")
	}
	op := "any"
	if p.keyword("startswith") {
		op = "anystartswith"
		if !p.expect('(') || !strings.EqualFold(p.ident(), v1) || !p.expect(',') {
			return nil, p.errorf("'startswith(%s,' expected.", v1)
		}
	} else if v2 := p.ident(); !strings.EqualFold(v1, v2) || !p.keyword("eq") {
		return nil, p.errorf("'%s eq' expected.", v1)
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	if op == "anystartswith" && !p.expect(')') {
		return nil, p.errorf("')' expected.")
	}
	if !p.expect(')') {
		return nil, p.errorf("')' expected.")
	}
	return filterCmp{op: op, prop: collection, value: v}, nil
}

func (p *filterParser) skipSpace() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *filterParser) peek(c byte) bool {
	p.skipSpace()
	return p.pos < len(p.src) && p.src[p.pos] == c
}

func (p *filterParser) expect(c byte) bool {
	if p.peek(c) {
		p.pos++
		return true
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *filterParser) ident() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// keyword consumes a whole word such as "and" (case-insensitive).
func (p *filterParser) keyword(kw string) bool {
	p.skipSpace()
	end := p.pos + len(kw)
	if end > len(p.src) || !strings.EqualFold(p.src[p.pos:end], kw) {
		return false
	}
	if end < len(p.src) && isIdentByte(p.src[end]) {
		return false
	}
	p.pos = end
	return true
}

// literal reads a single-quoted string, in which two quotes stand for one.
func (p *filterParser) literal() (string, error) {
	if !p.expect('\'') {
		return "", p.errorf("String literal expected.")
	}
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		p.pos++
		if c != '\'' {
			b.WriteByte(c)
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == '\'' {
			b.WriteByte('\'')
			p.pos++
			continue
		}
		return b.String(), nil
	}
	return "", p.errorf("Unterminated string literal.")
}
