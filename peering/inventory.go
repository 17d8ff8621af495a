package peering

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// AivenReader is what browsing needs from Aiven.
type AivenReader interface {
	Me(ctx context.Context) (AivenUser, error)
	Projects(ctx context.Context) ([]ProjectRef, error)
	VPCs(ctx context.Context, project string) ([]VPC, error)
	VPC(ctx context.Context, project, id string) (VPC, error)
}

// InventoryOptions tune FetchInventory.
type InventoryOptions struct {
	// Concurrency bounds the API calls in flight (default 16).
	Concurrency int
	// Projects, when set, limits the inventory to these projects; asking
	// for one alone that does not exist is an UnknownProjectError.
	Projects []string
}

// Inventory is everything visible on the Aiven side.
type Inventory struct {
	User     AivenUser
	Projects []Project
}

// Failures counts the projects and VPCs that could not be read.
func (inv Inventory) Failures() int {
	n := 0
	for _, p := range inv.Projects {
		if p.Err != nil {
			n++
		}
		for _, v := range p.VPCs {
			if v.Err != nil {
				n++
			}
		}
	}
	return n
}

// FetchInventory reads projects, their VPCs and each VPC's peerings. The
// three levels overlap: every call takes a slot of one semaphore only while
// it is in flight, so a slow project never holds back the others and the
// concurrency limit is never exceeded. A failure of one project or VPC is
// recorded on it; only a failure to list projects (or to know who we are)
// fails the whole inventory.
func FetchInventory(ctx context.Context, api AivenReader, opts InventoryOptions) (Inventory, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	sem := make(chan struct{}, opts.Concurrency)
	slot := func() func() {
		sem <- struct{}{}
		return func() { <-sem }
	}

	var inv Inventory
	var meErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer slot()()
		inv.User, meErr = api.Me(ctx)
	})

	release := slot()
	refs, err := api.Projects(ctx)
	release()
	if err != nil {
		wg.Wait()
		return Inventory{}, err
	}
	if len(opts.Projects) > 0 {
		refs = slices.DeleteFunc(refs, func(r ProjectRef) bool { return !slices.Contains(opts.Projects, r.Name) })
		if len(refs) == 0 && len(opts.Projects) == 1 {
			wg.Wait()
			return Inventory{}, &UnknownProjectError{Name: opts.Projects[0]}
		}
	}
	slices.SortFunc(refs, func(a, b ProjectRef) int { return strings.Compare(a.Name, b.Name) })

	inv.Projects = make([]Project, len(refs))
	for i, ref := range refs {
		inv.Projects[i].ProjectRef = ref
		wg.Go(func() {
			p := &inv.Projects[i]
			release := slot()
			vpcs, err := api.VPCs(ctx, ref.Name)
			release()
			if err != nil {
				p.Err = err
				return
			}
			p.VPCs = vpcs
			var vg sync.WaitGroup
			for j := range p.VPCs {
				vg.Go(func() {
					defer slot()()
					full, err := api.VPC(ctx, ref.Name, p.VPCs[j].ID)
					if err != nil {
						p.VPCs[j].Err = err
						return
					}
					p.VPCs[j] = full
				})
			}
			vg.Wait()
		})
	}
	wg.Wait()
	if meErr != nil {
		return inv, meErr
	}
	return inv, nil
}

// UnknownProjectError says a --project is not among the token's projects.
type UnknownProjectError struct{ Name string }

func (e *UnknownProjectError) Error() string {
	return "project " + e.Name + " is not visible with this Aiven token (check --project, or that the token's user is a member)"
}
