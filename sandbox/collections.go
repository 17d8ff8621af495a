package sandbox

import "iter"

// find is the first value of seq that match accepts, or nil. Over a map's
// values which one comes first is not defined: find serves lookups where at
// most one value can match.
func find[T any](seq iter.Seq[*T], match func(*T) bool) *T {
	for v := range seq {
		if match(v) {
			return v
		}
	}
	return nil
}

// mapped is f of each element of xs, in order. It is never nil, so an
// empty list is written [] in JSON, as the APIs answer, not null.
func mapped[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}
