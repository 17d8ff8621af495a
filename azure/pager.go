package azure

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// everyItem calls visit with each non-nil item of every page the pager
// reads (following nextLink), in order, until visit reports false. items
// picks a page's items: the SDK's page types share the Value field only
// by convention, which generics cannot name. The error is the SDK's, for
// the caller to say what it was reading.
func everyItem[P, T any](ctx context.Context, pager *runtime.Pager[P], items func(P) []*T, visit func(*T) bool) error {
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range items(page) {
			if it != nil && !visit(it) {
				return nil
			}
		}
	}
	return nil
}
