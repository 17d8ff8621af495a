package peering_test

import (
	"maps"
	"slices"
	"strings"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// variantSet is the sandbox variants a test runs under (unset: default).
type variantSet map[string]string

func (v variantSet) value(name string) string {
	if x, ok := v[name]; ok {
		return x
	}
	for _, vr := range sandbox.AllVariants() {
		if vr.Name == name {
			return vr.Values[0].Name
		}
	}
	return ""
}

// apply adds the variants to sandbox options.
func (v variantSet) apply(o sandbox.Options) sandbox.Options {
	if len(v) == 0 {
		return o
	}
	o.Variants = maps.Clone(v)
	return o
}

// permissionFailure is the state Aiven gives a connection whose service
// principal may not peer with the VNet, under these variants.
func (v variantSet) permissionFailure() peering.State {
	if v.value(sandbox.VariantAivenPermission) == "invalid-specification" {
		return peering.StateInvalidSpecification
	}
	return peering.StateRejectedByPeer
}

func (v variantSet) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(v)) {
		parts = append(parts, k+"="+v[k])
	}
	return strings.Join(parts, ",")
}
