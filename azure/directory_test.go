package azure_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

func TestDirectoryReads(t *testing.T) {
	d := admin(t).Directory
	c := ctx(t)

	if tid, err := d.TenantID(c); err != nil || tid != sandbox.UserTenantID {
		t.Errorf("TenantID = %q, %v; want %s", tid, err, sandbox.UserTenantID)
	}

	apps, err := d.FindApplicationsByName(c, "tsdb-prod-peering")
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 {
		t.Fatalf("FindApplicationsByName = %+v, want one", apps)
	}
	a := apps[0]
	if a.ObjectID != sandbox.ProdPeeringAppObject || a.AppID != sandbox.ProdPeeringAppID || a.DisplayName != "tsdb-prod-peering" ||
		!a.MultiTenant() || len(a.Passwords) != 1 || a.Passwords[0].DisplayName != "azpeer" || a.Passwords[0].KeyID == "" ||
		a.Passwords[0].End.Before(a.Passwords[0].Start) {
		t.Errorf("tsdb-prod-peering = %+v", a)
	}
	if apps, err := d.FindApplicationsByName(c, "no such app's name"); err != nil || len(apps) != 0 {
		t.Errorf("FindApplicationsByName(absent) = %+v, %v", apps, err)
	}

	got, err := d.ApplicationByAppID(c, sandbox.ProdPeeringAppID)
	if err != nil || got == nil || got.ObjectID != sandbox.ProdPeeringAppObject {
		t.Errorf("ApplicationByAppID = %+v, %v", got, err)
	}
	if got, err := d.ApplicationByAppID(c, uuid.NewString()); err != nil || got != nil {
		t.Errorf("ApplicationByAppID(absent) = %+v, %v; want nil, nil", got, err)
	}

	// Aiven's app has a service principal in the user's tenant.
	sp, err := d.ServicePrincipalByAppID(c, sandbox.AivenDefaultAppID)
	if err != nil || sp == nil {
		t.Fatalf("ServicePrincipalByAppID(Aiven) = %+v, %v", sp, err)
	}
	if sp.AppID != sandbox.AivenDefaultAppID || sp.AppOwnerTenantID != sandbox.AivenTenantID || sp.ObjectID == "" || sp.DisplayName == "" {
		t.Errorf("Aiven's service principal = %+v", sp)
	}
	if sp, err := d.ServicePrincipalByAppID(c, uuid.NewString()); err != nil || sp != nil {
		t.Errorf("ServicePrincipalByAppID(absent) = %+v, %v; want nil, nil", sp, err)
	}
}

func TestDirectoryLifecycle(t *testing.T) {
	d := admin(t).Directory
	c := ctx(t)

	app, err := d.CreateApplication(c, "azpeer-test-app", peering.Mark{})
	if err != nil {
		t.Fatal(err)
	}
	if app.ObjectID == "" || app.AppID == "" || app.DisplayName != "azpeer-test-app" || !app.MultiTenant() || len(app.Passwords) != 0 {
		t.Errorf("created app = %+v", app)
	}

	end := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	pc, secret, err := d.AddPassword(c, app.ObjectID, "azpeer", end)
	if err != nil {
		t.Fatal(err)
	}
	if secret.Empty() || pc.KeyID == "" || pc.DisplayName != "azpeer" || !strings.HasPrefix(secret.Reveal(), pc.Hint) || !pc.End.Equal(end) {
		t.Errorf("AddPassword = %+v (hint vs secret prefix %q)", pc, secret.Reveal()[:3])
	}
	if s := fmt.Sprintf("%v %+v %#v %s %q", secret, secret, secret, secret, secret); strings.Contains(s, secret.Reveal()) {
		t.Errorf("the secret prints: %s", s)
	}
	got, err := d.ApplicationByAppID(c, app.AppID)
	if err != nil || got == nil || len(got.Passwords) != 1 || got.Passwords[0].KeyID != pc.KeyID {
		t.Errorf("app after AddPassword = %+v, %v", got, err)
	}
	if err := d.RemovePassword(c, app.ObjectID, pc.KeyID); err != nil {
		t.Fatal(err)
	}
	if got, err := d.ApplicationByAppID(c, app.AppID); err != nil || got == nil || len(got.Passwords) != 0 {
		t.Errorf("app after RemovePassword = %+v, %v", got, err)
	}

	sp, err := d.CreateServicePrincipal(c, app.AppID, peering.Mark{})
	if err != nil {
		t.Fatal(err)
	}
	if sp.ObjectID == "" || sp.AppID != app.AppID || sp.AppOwnerTenantID != sandbox.UserTenantID || sp.DisplayName != app.DisplayName {
		t.Errorf("created service principal = %+v", sp)
	}
	_, err = d.CreateServicePrincipal(c, app.AppID, peering.Mark{})
	checkCloudError(t, err, "graph", 409, "Request_MultipleObjectsWithSameKeyValue")
	if got, err := d.ServicePrincipalByAppID(c, app.AppID); err != nil || got == nil || got.ObjectID != sp.ObjectID {
		t.Errorf("ServicePrincipalByAppID = %+v, %v", got, err)
	}

	if err := d.DeleteServicePrincipal(c, sp.ObjectID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteApplication(c, app.ObjectID); err != nil {
		t.Fatal(err)
	}
	err = d.DeleteApplication(c, app.ObjectID)
	checkCloudError(t, err, "graph", 404, "Request_ResourceNotFound")
	if !errors.Is(err, peering.ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false", err)
	}
}
