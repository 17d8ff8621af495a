package peering

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The interfaces below are what the runbook and the diagnosis need from the
// clouds. The azure and aiven packages implement them with the official
// SDKs; the sandbox makes them testable end to end.

// Aiven is the Aiven API as the runbook uses it.
type Aiven interface {
	AivenReader
	CreateAzurePeering(ctx context.Context, p Parent, vpcID string, req AzurePeeringRequest) (Connection, error)
	// DeletePeering deletes a connection as read from its VPC (by its
	// peer for a project VPC, by its id for an organization's).
	DeletePeering(ctx context.Context, p Parent, vpcID string, c Connection) error
	Refresh(ctx context.Context, p Parent, vpcID string) error
}

// Directory is Microsoft Graph in the user's tenant, as the signed-in admin.
type Directory interface {
	// TenantID is the signed-in tenant (GET /organization).
	TenantID(ctx context.Context) (string, error)
	FindApplicationsByName(ctx context.Context, displayName string) ([]Application, error)
	// ApplicationByAppID returns nil, nil when there is none.
	ApplicationByAppID(ctx context.Context, appID string) (*Application, error)
	// CreateApplication creates a multi-tenant (AzureADMultipleOrgs) app
	// carrying the mark (tags and notes).
	CreateApplication(ctx context.Context, displayName string, m Mark) (Application, error)
	DeleteApplication(ctx context.Context, objectID string) error
	AddPassword(ctx context.Context, appObjectID, displayName string, end time.Time) (PasswordCredential, Secret, error)
	RemovePassword(ctx context.Context, appObjectID, keyID string) error
	// ServicePrincipalByAppID returns nil, nil when there is none.
	ServicePrincipalByAppID(ctx context.Context, appID string) (*ServicePrincipal, error)
	// CreateServicePrincipal creates an app's service principal carrying
	// the mark; an existing one is Request_MultipleObjectsWithSameKeyValue.
	CreateServicePrincipal(ctx context.Context, appID string, m Mark) (ServicePrincipal, error)
	DeleteServicePrincipal(ctx context.Context, objectID string) error
}

// Access is Azure RBAC (role definitions and assignments).
type Access interface {
	// FindRoleDefinition returns nil, nil when no role has that name at scope.
	FindRoleDefinition(ctx context.Context, scope, roleName string) (*RoleDefinition, error)
	// CreateRoleDefinition creates a custom role named def.Name (a GUID
	// the caller chose and recorded first).
	CreateRoleDefinition(ctx context.Context, scope string, def RoleDefinition) (RoleDefinition, error)
	// RoleDefinitionByID returns nil, nil when it does not exist.
	RoleDefinitionByID(ctx context.Context, id string) (*RoleDefinition, error)
	DeleteRoleDefinition(ctx context.Context, id string) error
	// RoleAssignments lists assignments that apply at scope (at, above and
	// below it), optionally only those of one principal.
	RoleAssignments(ctx context.Context, scope, principalID string) ([]RoleAssignment, error)
	// CreateRoleAssignment assigns under the given name (a GUID the caller
	// chose and recorded first), with principalType ServicePrincipal, so a
	// principal still replicating is accepted.
	CreateRoleAssignment(ctx context.Context, scope, name, roleDefinitionID, principalID string) (RoleAssignment, error)
	// RoleAssignmentByID returns nil, nil when it does not exist.
	RoleAssignmentByID(ctx context.Context, id string) (*RoleAssignment, error)
	DeleteRoleAssignment(ctx context.Context, id string) error
}

// Network is Resource Manager networking as one principal.
type Network interface {
	Subscriptions(ctx context.Context) ([]Subscription, error)
	VNets(ctx context.Context, subscriptionID string) ([]VNet, error)
	VNet(ctx context.Context, id string) (VNet, error)
	// Peering returns nil, nil when the VNet has no peering of that name.
	Peering(ctx context.Context, vnetID, name string) (*VNetPeering, error)
	// CreatePeering creates (or updates) a peering with
	// allowVirtualNetworkAccess and waits for provisioning to finish.
	CreatePeering(ctx context.Context, vnetID, name, remoteVNetID string) (VNetPeering, error)
	// DeletePeering deletes and waits; absent is not an error.
	DeletePeering(ctx context.Context, vnetID, name string) error
}

// AppSignIn signs in as an app with its secret in its home tenant and, for
// cross-tenant calls, in an auxiliary tenant, returning Resource Manager
// networking that sends both tokens (x-ms-authorization-auxiliary).
type AppSignIn func(ctx context.Context, homeTenantID, appID string, secret Secret, auxTenantID string) (Network, error)

// Application is an Entra app registration.
type Application struct {
	ObjectID       string
	AppID          string
	DisplayName    string
	SignInAudience string
	Passwords      []PasswordCredential
	// Tags and Notes carry azpeer's mark on apps it made (see MarkedBy).
	Tags      []string
	Notes     string
	CreatedAt time.Time
}

// MultiTenant reports whether other tenants can use the app.
func (a Application) MultiTenant() bool {
	return a.SignInAudience == "AzureADMultipleOrgs" || a.SignInAudience == "AzureADandPersonalMicrosoftAccount"
}

// PasswordCredential is a client secret's metadata (never its text).
type PasswordCredential struct {
	KeyID       string
	DisplayName string
	Hint        string
	Start, End  time.Time
}

// ServicePrincipal is an app's identity in a tenant.
type ServicePrincipal struct {
	ObjectID         string
	AppID            string
	DisplayName      string
	AppOwnerTenantID string
	Tags             []string
}

// RoleDefinition is an Azure role.
type RoleDefinition struct {
	ID               string
	Name             string // the guid
	RoleName         string
	Description      string
	Custom           bool
	Actions          []string
	NotActions       []string
	AssignableScopes []string
}

// RoleAssignment grants a role to a principal at a scope.
type RoleAssignment struct {
	ID               string
	Scope            string
	RoleDefinitionID string
	PrincipalID      string
	PrincipalType    string
	CreatedOn        time.Time
}

// Secret holds a client secret in memory. It prints as [secret] in every
// format verb, so it cannot leak through logs, errors or JSON by accident;
// Reveal is the one way to read it, for the credential that needs it.
type Secret struct{ v string }

// NewSecret wraps a secret text.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the secret text.
func (s Secret) Reveal() string { return s.v }

// Empty reports whether there is no secret.
func (s Secret) Empty() bool { return s.v == "" }

func (s Secret) String() string   { return "[secret]" }
func (s Secret) GoString() string { return "[secret]" }

// Format masks the secret for every verb, %#v and %q included.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[secret]")) }

// MarshalText masks the secret in JSON and text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte("[secret]"), nil }

// CloudError is an error answer from Azure or Aiven, reduced to what the
// runbook and the diagnosis match on. Adapters wrap the SDK's error in it;
// Code is the service's own text (e.g. "AuthorizationFailed",
// "PrincipalNotFound", "AADSTS7000215", "Request_MultipleObjectsWithSameKeyValue").
type CloudError struct {
	Service    string // "arm", "graph", "entra", "aiven"
	StatusCode int
	Code       string
	Message    string
	// RetryAfter is the server's advice, when it gave one.
	RetryAfter time.Duration
	Err        error
}

func (e *CloudError) Error() string {
	switch {
	case e.Code != "" && e.Message != "":
		return fmt.Sprintf("%s: %s: %s", e.Service, e.Code, e.Message)
	case e.Code != "" && e.StatusCode != 0:
		return fmt.Sprintf("%s: %s (HTTP %d)", e.Service, e.Code, e.StatusCode)
	case e.Code != "":
		return fmt.Sprintf("%s: %s", e.Service, e.Code)
	case e.StatusCode == 0:
		// No answer came back (the service could not be reached).
		return fmt.Sprintf("%s: %s", e.Service, e.Message)
	default:
		return fmt.Sprintf("%s: HTTP %d: %s", e.Service, e.StatusCode, e.Message)
	}
}

func (e *CloudError) Unwrap() error { return e.Err }

// ErrorCode returns the cloud error code in err's chain, or "".
func ErrorCode(err error) string {
	var ce *CloudError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

// StatusCode returns the HTTP status in err's chain, or 0.
func StatusCode(err error) int {
	var ce *CloudError
	if errors.As(err, &ce) {
		return ce.StatusCode
	}
	return 0
}

// ErrNotFound is matched (errors.Is) by adapters' not-found answers.
var ErrNotFound = errors.New("not found")

// ErrAlreadyExists is matched (errors.Is) by adapters' answers that the
// object to create exists already (Graph's
// Request_MultipleObjectsWithSameKeyValue, Resource Manager's
// RoleAssignmentExists and RoleDefinitionWithSameNameExists, Aiven's 409).
var ErrAlreadyExists = errors.New("already exists")

// PrincipalKind tells a person from an application.
type PrincipalKind string

const (
	PrincipalUser PrincipalKind = "user"
	PrincipalApp  PrincipalKind = "app"
)

// Principal is who is signed in to Azure.
type Principal struct {
	Kind     PrincipalKind `json:"kind"`
	TenantID string        `json:"tenant_id"`
	// TenantName is the tenant's display name, when it could be read.
	TenantName string `json:"tenant_name,omitempty"`
	ObjectID   string `json:"object_id"`
	// AppID is the app signed in as, or, for a user, the client app
	// (the Azure CLI's, for one).
	AppID string `json:"app_id,omitempty"`
	// Name is a user's principal name, or "app <app id>".
	Name string `json:"name"`
}

// WhoAmI tells who is signed in to Azure; the azure adapter implements it.
type WhoAmI interface {
	SignedIn(ctx context.Context) (Principal, error)
}
