package azure

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azpeer/azpeer/peering"
)

// Service names in peering.CloudError.
const (
	ServiceARM   = "arm"
	ServiceGraph = "graph"
	ServiceEntra = "entra"
)

// cloudError turns an SDK error from a call to service ("arm" or "graph")
// into a *peering.CloudError that wraps it, so the runbook can match codes
// while errors.As still finds *azcore.ResponseError or
// *azidentity.AuthenticationFailedError. A sign-in failure inside the call
// is reported as service "entra". Errors that carry no answer from a
// service (context ends, network failures) are returned unchanged. Nothing
// of the request (tokens, secrets) is copied into the message: only the
// service's own code and message.
func cloudError(service string, err error) error {
	if err == nil {
		return nil
	}
	var ce *peering.CloudError
	if errors.As(err, &ce) {
		return err
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) {
		return entraError(af, err)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		out := &peering.CloudError{Service: service, StatusCode: re.StatusCode, Code: re.ErrorCode, Err: err}
		if re.RawResponse != nil {
			code, msg := serviceErrorBody(re.RawResponse)
			if out.Code == "" {
				out.Code = code
			}
			out.Message = msg
			out.RetryAfter = retryAfter(re.RawResponse.Header)
		}
		if out.Message == "" {
			out.Message = http.StatusText(re.StatusCode)
		}
		if re.StatusCode == http.StatusNotFound {
			return notFoundError{out}
		}
		if alreadyExistsCodes[out.Code] {
			return alreadyExistsError{out}
		}
		return out
	}
	return err
}

// alreadyExistsCodes are the answers that the object to create exists:
// Graph's duplicate key ("Another object with the same value for property
// … already exists", learn.microsoft.com Graph error codes), and Resource
// Manager's RBAC conflicts (azure-rest-api-specs authorization examples).
var alreadyExistsCodes = map[string]bool{
	"Request_MultipleObjectsWithSameKeyValue": true,
	"RoleAssignmentExists":                    true,
	"RoleDefinitionWithSameNameExists":        true,
}

// alreadyExistsError is such an answer: a *peering.CloudError (its text
// unchanged) that also matches errors.Is(err, peering.ErrAlreadyExists).
type alreadyExistsError struct{ *peering.CloudError }

func (e alreadyExistsError) Unwrap() error      { return e.CloudError }
func (alreadyExistsError) Is(target error) bool { return target == peering.ErrAlreadyExists }

// notFoundError is a 404 answer: a *peering.CloudError (its text
// unchanged) that also matches errors.Is(err, peering.ErrNotFound).
type notFoundError struct{ *peering.CloudError }

func (e notFoundError) Unwrap() error      { return e.CloudError }
func (notFoundError) Is(target error) bool { return target == peering.ErrNotFound }

// serviceErrorBody reads {"error":{"code","message"}}, the shape Resource
// Manager, its async-operation status and Microsoft Graph all use.
func serviceErrorBody(resp *http.Response) (code, message string) {
	body, err := runtime.Payload(resp)
	if err != nil || len(body) == 0 {
		return "", ""
	}
	var v struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	return v.Error.Code, strings.TrimSpace(v.Error.Message)
}

var aadstsCode = regexp.MustCompile(`AADSTS(\d+)`)

// entraError reads Entra's OAuth error answer ({"error", "error_description",
// "error_codes"}) into service "entra" with Code "AADSTS<n>" and the first
// sentence of the description, without its trace and correlation ids.
func entraError(af *azidentity.AuthenticationFailedError, wrapped error) error {
	out := &peering.CloudError{Service: ServiceEntra, Err: wrapped}
	if af.RawResponse == nil {
		// No answer from Entra: the credential refused locally (e.g. a
		// tenant not in AdditionallyAllowedTenants), or Entra could not be
		// reached. The message names the credential and the problem, never
		// the secret; its cause (e.g. "connection refused") is on later
		// lines, so they are kept, folded into one.
		out.Message = oneLineAll(af.Error())
		return out
	}
	out.StatusCode = af.RawResponse.StatusCode
	out.RetryAfter = retryAfter(af.RawResponse.Header)
	body, _ := runtime.Payload(af.RawResponse)
	var v struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	_ = json.Unmarshal(body, &v)
	if len(v.Codes) > 0 {
		out.Code = "AADSTS" + strconv.Itoa(v.Codes[0])
	} else if m := aadstsCode.FindStringSubmatch(v.Description); m != nil {
		out.Code = "AADSTS" + m[1]
	} else {
		out.Code = v.Error
	}
	out.Message = firstSentence(v.Description)
	if out.Message == "" {
		out.Message = v.Error
	}
	return out
}

// firstSentence is an Entra description's first sentence: without the
// "AADSTS<n>: " prefix and without "Trace ID: ... Correlation ID: ...".
func firstSentence(desc string) string {
	desc = strings.TrimSpace(desc)
	if m := aadstsCode.FindStringIndex(desc); m != nil && m[0] == 0 {
		desc = strings.TrimSpace(strings.TrimPrefix(desc[m[1]:], ":"))
	}
	if i := strings.Index(desc, "Trace ID:"); i >= 0 {
		desc = desc[:i]
	}
	desc = firstLine(desc)
	if i := strings.Index(desc, ". "); i >= 0 {
		desc = desc[:i+1]
	}
	return strings.TrimSpace(desc)
}

// oneLineAll folds a multi-line message into one line.
func oneLineAll(s string) string { return strings.Join(strings.Fields(s), " ") }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// retryAfter is the server's advice in retry-after-ms, x-ms-retry-after-ms
// or Retry-After (seconds or an HTTP date), as azcore reads them.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Get(name))); err == nil && v > 0 {
			return time.Duration(v) * time.Millisecond
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// redact replaces secret texts in a message; a belt to the braces of
// never putting them there.
func redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[secret]")
		}
	}
	return msg
}

// deref is *p, or "" for nil: the SDK models are all pointers.
func deref[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}
