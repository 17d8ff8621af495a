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
	// VPC reads one VPC, a project's or an organization's, with its
	// peering connections.
	VPC(ctx context.Context, p Parent, id string) (VPC, error)
	// OrganizationVPCs lists an organization's VPCs (without peerings).
	OrganizationVPCs(ctx context.Context, orgID string) ([]VPC, error)
}

// InventoryOptions tune FetchInventory.
type InventoryOptions struct {
	// Concurrency bounds the API calls in flight (default 16).
	Concurrency int
	// Projects, when set, limits the inventory to these projects; asking
	// for one alone that does not exist is an UnknownProjectError.
	Projects []string
	// Organization, when set, limits the inventory to the projects of this
	// organization and its organization VPCs; an organization none of the
	// token's projects belongs to is an UnknownOrganizationError.
	Organization string
	// NoOrganizations leaves organization VPCs out (they are read for a
	// whole inventory, and with Projects only for those projects'
	// organizations).
	NoOrganizations bool
}

// Inventory is everything visible on the Aiven side.
type Inventory struct {
	User     AivenUser
	Projects []Project
	// Organizations are the organizations of the projects, with their own
	// VPCs; those without VPCs are left out.
	Organizations []Organization
}

// Organization is an Aiven organization with its organization VPCs. Err
// is set when they could not be read (say the token lacks
// organization:networking:read).
type Organization struct {
	ID   string `json:"id"`
	VPCs []VPC  `json:"vpcs"`
	Err  error  `json:"-"`
}

// OrganizationVPC finds an organization VPC in the inventory.
func (inv Inventory) OrganizationVPC(orgID, vpcID string) (VPC, bool) {
	for _, o := range inv.Organizations {
		if o.ID != orgID {
			continue
		}
		for _, v := range o.VPCs {
			if v.ID == vpcID {
				return v, true
			}
		}
	}
	return VPC{}, false
}

// Failures counts the projects and VPCs that could not be read.
func (inv Inventory) Failures() int {
	n := 0
	for _, o := range inv.Organizations {
		// A token without organization:networking:read sees no
		// organization VPCs: shown, but no failure of the inventory.
		if o.Err != nil && StatusCode(o.Err) != 403 {
			n++
		}
		for _, v := range o.VPCs {
			if v.Err != nil {
				n++
			}
		}
	}
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
	if opts.Organization != "" {
		refs = slices.DeleteFunc(refs, func(r ProjectRef) bool { return r.OrganizationID != opts.Organization })
		if len(refs) == 0 {
			wg.Wait()
			return Inventory{}, &UnknownOrganizationError{ID: opts.Organization}
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
			readPeerings(ctx, api, ProjectParent(ref.Name), p.VPCs, slot)
		})
	}
	if !opts.NoOrganizations {
		inv.Organizations = fetchOrganizations(ctx, api, refs, slot)
	}
	wg.Wait()
	if meErr != nil {
		return inv, meErr
	}
	return inv, nil
}

// fetchOrganizations reads the organization VPCs of the projects'
// organizations, each with its peerings and the projects whose services
// run in it (a project uses an organization VPC by placing services in it:
// their project_vpc_id is the VPC's id).
func fetchOrganizations(ctx context.Context, api AivenReader, refs []ProjectRef, slot func() func()) []Organization {
	var ids []string
	projectsOf := map[string][]string{}
	for _, r := range refs {
		if r.OrganizationID == "" {
			continue
		}
		if _, ok := projectsOf[r.OrganizationID]; !ok {
			ids = append(ids, r.OrganizationID)
		}
		projectsOf[r.OrganizationID] = append(projectsOf[r.OrganizationID], r.Name)
	}
	slices.Sort(ids)
	orgs := make([]Organization, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			o := &orgs[i]
			o.ID = id
			release := slot()
			vpcs, err := api.OrganizationVPCs(ctx, id)
			release()
			if StatusCode(err) == 404 {
				return // an organization without VPCs of its own (a "Limited" feature)
			}
			if err != nil {
				o.Err = err
				return
			}
			o.VPCs = vpcs
			readPeerings(ctx, api, OrganizationParent(id), o.VPCs, slot)
			if len(o.VPCs) > 0 {
				usedBy(ctx, api, o, projectsOf[id], slot)
			}
		})
	}
	wg.Wait()
	return slices.DeleteFunc(orgs, func(o Organization) bool { return o.Err == nil && len(o.VPCs) == 0 })
}

// readPeerings reads each of a parent's VPCs again, in place and at once,
// with its peering connections (the lists carry none); a VPC that cannot
// be read keeps what the list said, with the error.
func readPeerings(ctx context.Context, api AivenReader, parent Parent, vpcs []VPC, slot func() func()) {
	var wg sync.WaitGroup
	for j := range vpcs {
		wg.Go(func() {
			defer slot()()
			full, err := api.VPC(ctx, parent, vpcs[j].ID)
			if err != nil {
				vpcs[j].Err = err
				return
			}
			vpcs[j] = full
		})
	}
	wg.Wait()
}

// usedBy fills each VPC's UsedBy from the services of the organization's
// projects, when the API can list them; a project whose services cannot be
// read is left out, not guessed.
func usedBy(ctx context.Context, api AivenReader, o *Organization, projects []string, slot func() func()) {
	lister, ok := api.(ServiceLister)
	if !ok {
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range projects {
		wg.Go(func() {
			release := slot()
			svcs, err := lister.Services(ctx, p)
			release()
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for j := range o.VPCs {
				if slices.ContainsFunc(svcs, func(s Service) bool { return s.VPCID == o.VPCs[j].ID }) && !slices.Contains(o.VPCs[j].UsedBy, p) {
					o.VPCs[j].UsedBy = append(o.VPCs[j].UsedBy, p)
				}
			}
		})
	}
	wg.Wait()
	for j := range o.VPCs {
		slices.Sort(o.VPCs[j].UsedBy)
	}
}

// UnknownProjectError says a --project is not among the token's projects.
type UnknownProjectError struct{ Name string }

func (e *UnknownProjectError) Error() string {
	return "project " + e.Name + " is not visible with this Aiven token (check --project, or that the token's user is a member)"
}

// UnknownOrganizationError says an --organization is not the organization
// of any of the token's projects.
type UnknownOrganizationError struct{ ID string }

func (e *UnknownOrganizationError) Error() string {
	return "organization " + e.ID + " is not visible with this Aiven token: none of its projects belongs to it (azpeer list shows each VPC's organization)"
}
