package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Asynchronous Resource Manager operations: a peering PUT or DELETE answers
// at once with an Azure-AsyncOperation URL (and for DELETE a Location URL),
// and the work completes Timing.PeeringProvisioning later in simulated
// time. advanceOperations, which runs under the world lock before every
// request, finishes the operations that are due, so in instant mode (speed
// 0) an operation is done by the client's first poll.
//
// Retry-After is in whole seconds, too coarse for a sped-up clock, so the
// answers also carry Retry-After-Ms with the real time left: azcore (and
// the Azure CLI's azure-core) prefer it, and so poll at the sandbox's pace.

// Operation kinds.
const (
	opPeeringPut    = "peering-put"
	opPeeringDelete = "peering-delete"
	// opOtherUpdate is an update no client of the emulated API asked for
	// (arm_busy.go): nothing to do when it ends.
	opOtherUpdate = "other-update"
	// opBackground is a write from outside the emulated API (Aiven's
	// backend): its peering is Succeeded when it ends, and it is forgotten.
	opBackground = "background"
)

// Operation statuses.
const (
	opInProgress = "InProgress"
	opSucceeded  = "Succeeded"
	opFailed     = "Failed"
)

// operationRetention is how long (simulated) a finished operation's status
// stays readable; clients read it within seconds.
const operationRetention = 24 * time.Hour

// startOperation records an operation on target that takes d. Expects world.mu held.
func (world *World) startOperation(now time.Time, kind, target string, d time.Duration) *AsyncOperation {
	op := &AsyncOperation{ID: newGUID(), Status: opInProgress, StartedAt: now, DoneAt: now.Add(d), Kind: kind, Target: target}
	world.Operations[op.ID] = op
	return op
}

// operationOn returns the operation in progress on target, if any. Expects world.mu held.
func (world *World) operationOn(target string) *AsyncOperation {
	return find(maps.Values(world.Operations), func(op *AsyncOperation) bool {
		return op.Status == opInProgress && strings.EqualFold(op.Target, target)
	})
}

// advanceOperations completes async ARM operations that are due, and
// forgets finished ones after operationRetention. Expects the world lock.
func (s *Server) advanceOperations() {
	world := s.world
	now := s.clock.Now()
	world.now = now
	if len(world.Operations) == 0 {
		return
	}
	changed := false
	for id, op := range world.Operations {
		if op.Status != opInProgress {
			if now.Sub(op.DoneAt) > operationRetention {
				delete(world.Operations, id)
				changed = true
			}
			continue
		}
		if !s.clock.Due(op.StartedAt, op.DoneAt.Sub(op.StartedAt)) {
			continue
		}
		world.finishOperation(now, op)
		if op.Kind == opBackground {
			delete(world.Operations, id)
		}
		changed = true
	}
	if changed {
		s.markDirty()
	}
}

// finishOperation does an operation's work. Expects world.mu held.
func (world *World) finishOperation(now time.Time, op *AsyncOperation) {
	op.Status, op.DoneAt = opSucceeded, now
	local, name := world.peeringParent(op.Target)
	var p *VNetPeering
	if local != nil {
		p = local.Peerings[strings.ToLower(name)]
	}
	switch op.Kind {
	case opPeeringPut:
		if p == nil {
			op.Status, op.ErrorCode, op.ErrorMsg = opFailed, "CanceledAndSupersededDueToAnotherOperation",
				fmt.Sprintf("Operation on resource %s was canceled: the resource no longer exists.", op.Target)
			return
		}
		if op.Fail {
			// As Azure leaves it: the peering exists, provisioningState
			// Failed, and the operation carries the error.
			op.Status, op.ErrorCode, op.ErrorMsg = opFailed, "InternalServerError", "An error occurred."
			if op.FailCode != "" {
				op.ErrorCode, op.ErrorMsg = op.FailCode, op.FailMessage
			}
			p.ProvisioningState = "Failed"
			return
		}
		world.applyPeering(now, local, p.Name, p.RemoteVNetID, p.AllowVirtualNetworkAccess)
	case opPeeringDelete:
		if p == nil {
			return
		}
		if op.Fail && op.FailCode != "" {
			op.Status, op.ErrorCode, op.ErrorMsg = opFailed, op.FailCode, op.FailMessage
			p.ProvisioningState = "Failed"
			return
		}
		world.removePeering(local, p.Name)
	case opBackground:
		if p != nil && p.ProvisioningState == "Updating" {
			p.ProvisioningState = "Succeeded"
		}
	}
}

// peeringParent splits a peering id into its network and name. Expects world.mu held.
func (world *World) peeringParent(id string) (*VNet, string) {
	const marker = "/virtualnetworkpeerings/"
	i := strings.LastIndex(strings.ToLower(id), marker)
	if i < 0 {
		return nil, ""
	}
	return world.vnet(id[:i]), id[i+len(marker):]
}

// operationURL is the status resource of an operation, on the host the
// client called. results picks the Location form (operationResults).
func (q *armRequest) operationURL(local *VNet, op *AsyncOperation, results bool) string {
	kind := "operations"
	if results {
		kind = "operationResults"
	}
	v := q.r.URL.Query().Get("api-version")
	if v == "" {
		v = networkOperationAPIVersions.specs[len(networkOperationAPIVersions.specs)-1]
	}
	return armBase(q.r) + "/subscriptions/" + local.SubscriptionID + "/providers/Microsoft.Network/locations/" +
		local.Location + "/" + kind + "/" + op.ID + "?api-version=" + urlQueryEscape(v) + op.signature()
}

// signature is the query Resource Manager has signed its async operation
// URLs with since 2024: t (the .NET ticks of the operation's start), c
// (the signing certificate), s (the signature) and h (a hash), as in
// test_network_vnet_peering_sync.yaml (CLI 2.64). Clients must use the URL
// as given; the sandbox neither checks these nor lets any client rely on
// their form. They are derived from the operation, so the URL is the same
// every time it is handed out (an AnotherOperationInProgress text names
// the URL its PUT answered).
func (op *AsyncOperation) signature() string {
	const ticksAtUnixEpoch = 621355968000000000
	sum := func(tag string) string {
		h := sha256.Sum256([]byte(tag + op.ID))
		return base64.RawURLEncoding.EncodeToString(h[:])
	}
	return fmt.Sprintf("&t=%d&c=%s&s=%s&h=%s", op.StartedAt.UnixNano()/100+ticksAtUnixEpoch, sum("c"), sum("s"), sum("h"))
}

// asyncHeaders sets Azure-AsyncOperation (and Location for a DELETE) and
// the retry hints of a new operation.
func (q *armRequest) asyncHeaders(local *VNet, op *AsyncOperation, now time.Time, withLocation bool) {
	q.w.Header().Set("Azure-AsyncOperation", q.operationURL(local, op, false))
	// test_network_vnet_peering_sync.yaml (CLI 2.64) shows it on a
	// peering's PUT; it tells ARM to notify the provider's subscribers.
	q.w.Header().Set("Azure-AsyncNotification", "Enabled")
	if withLocation {
		q.w.Header().Set("Location", q.operationURL(local, op, true))
	}
	q.s.retryAfter(q.w, op, now)
}

// retryAfter tells the client when the operation will be done, in the
// real time the sandbox's clock takes for the simulated time left. In
// instant mode it says nothing: the next poll finds the operation done.
func (s *Server) retryAfter(w http.ResponseWriter, op *AsyncOperation, now time.Time) {
	left := op.DoneAt.Sub(now)
	if s.clock.Speed() == 0 || left <= 0 {
		return
	}
	real := s.clock.Real(left)
	w.Header().Set("Retry-After", strconv.FormatInt(max(1, int64(math.Ceil(real.Seconds()))), 10))
	w.Header().Set("Retry-After-Ms", strconv.FormatInt(max(1, int64(math.Ceil(float64(real)/float64(time.Millisecond)))), 10))
}

// operationStatus serves .../locations/{location}/operations/{operationId}:
// the Azure-AsyncOperation resource, a status document while the
// operation runs and after.
func (q *armRequest) operationStatus() {
	op, ok := q.operationOfPath()
	if !ok {
		return
	}
	body := map[string]any{"status": op.Status}
	if op.Status == opFailed {
		// A failed operation's error has the provider's empty details
		// (Azure/ResourceModules#731 quotes such a status document).
		body["error"] = map[string]any{"code": op.ErrorCode, "message": op.ErrorMsg, "details": []any{}}
	}
	if op.Status == opInProgress {
		q.s.retryAfter(q.w, op, q.s.clock.Now())
	}
	writeJSON(q.w, http.StatusOK, body)
}

// operationResult serves .../locations/{location}/operationResults/{operationId}
// (the Location resource): 202 while the operation runs, then its error,
// or the peering a PUT made, or 204.
func (q *armRequest) operationResult() {
	op, ok := q.operationOfPath()
	if !ok {
		return
	}
	local, _ := q.world.peeringParent(op.Target)
	switch op.Status {
	case opInProgress:
		if local != nil {
			q.w.Header().Set("Location", q.operationURL(local, op, true))
		}
		q.s.retryAfter(q.w, op, q.s.clock.Now())
		q.w.WriteHeader(http.StatusAccepted)
	case opFailed:
		networkError(q.w, http.StatusBadRequest, op.ErrorCode, op.ErrorMsg)
	default:
		var p *VNetPeering
		if local != nil && op.Kind == opPeeringPut {
			_, name := q.world.peeringParent(op.Target)
			p = local.Peerings[strings.ToLower(name)]
		}
		if p == nil {
			q.w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(q.w, http.StatusOK, q.world.peeringJSON(p))
	}
}

// operationOfPath finds the operation the path names, in the request's
// subscription, answering 404 if there is none.
func (q *armRequest) operationOfPath() (*AsyncOperation, bool) {
	id := q.params["operationId"]
	op := q.world.Operations[strings.ToLower(id)]
	if op == nil || !strings.EqualFold(subscriptionOf(op.Target), q.sub.ID) {
		armError(q.w, http.StatusNotFound, "NotFound", fmt.Sprintf("Operation %s not found in location %s.", id, q.params["location"]))
		return nil, false
	}
	return op, true
}
