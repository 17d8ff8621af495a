package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Busy resources. While an asynchronous operation runs on a peering, the
// peering is Updating, and so is its network (and, under the default of
// variant azure-vnet-updating, the remote network, whose side changes
// too). A write that needs one of them meanwhile is refused by the
// network provider:
//
//   - a write to the same peering, or to any peering of a network that is
//     being updated: AnotherOperationInProgress, "Another operation on this
//     or dependent resource is in progress. To retrieve status of the
//     operation use uri: <the running operation's Azure-AsyncOperation
//     URL>." (microsoft/AzureTRE#2222, pulumi/pulumi-azure-native#1024 and
//     #903, terraform-provider-azurerm#8135), as variant azure-busy says:
//     409, 400, or a PUT accepted whose operation fails with that error;
//     a DELETE likewise while the remote network is being updated (its
//     side would change);
//   - a PUT whose remote network is being updated: 400
//     ReferencedResourceNotProvisioned, "Cannot proceed with operation
//     because resource <remote> used by resource <peering> is not in
//     Succeeded state. Resource is in Updating state and the last operation
//     that updated/is updating the resource is <operation>."
//     (terraform-provider-azurerm#2605 and #3392, pulumi/pulumi-azure-native#4340,
//     Azure-Samples/azuresandbox#329).
//
// Writes from outside the emulated API (Aiven's backend adding or removing
// its side, world.putPeering) take the same time and make the same
// networks busy, so a client that peers right after Aiven did meets the
// refusal as users of the real clouds do. FaultConfig.RateBusy and
// RateReferencedNotProvisioned make either refusal happen on demand: they
// start the "other" operation (one that can be polled at the URL the
// refusal names) and then refuse because of it.

// Names of the network provider's operations, as its texts name the last
// one that updated a network. PutSubnetOperation is the one the public
// texts show; the peering ones follow its pattern but appear in no public
// text: the sandbox's own.
const (
	opNamePutSubnet      = "PutSubnetOperation"
	opNamePutPeering     = "PutVirtualNetworkPeeringOperation"
	opNameDeletePeering  = "DeleteVirtualNetworkPeeringOperation"
	busyConflict         = "conflict-409"
	busyBadRequest       = "bad-request-400"
	busyAsyncFailure     = "async-failure"
	vnetUpdatingNone     = "none"
	vnetUpdatingLocal    = "local-only"
	vnetUpdatingBothWays = "local-and-remote"
)

// parentOf is the network an operation's target belongs to: a peering's
// network, or the target itself when the operation is on a network.
func parentOf(target string) string {
	const marker = "/virtualnetworkpeerings/"
	if i := strings.LastIndex(strings.ToLower(target), marker); i >= 0 {
		return target[:i]
	}
	return target
}

// runningOperations are the operations in progress, oldest first (so that
// texts naming one name the same one every time). Expects world.mu held.
func (world *World) runningOperations() []*AsyncOperation {
	var out []*AsyncOperation
	for _, op := range world.Operations {
		if op.Status == opInProgress {
			out = append(out, op)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].StartedAt.Equal(out[j].StartedAt) {
			return out[i].StartedAt.Before(out[j].StartedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// localOperation is the running operation on v itself or on one of its
// peerings, if any. Expects world.mu held.
func (world *World) localOperation(v *VNet) *AsyncOperation {
	return find(slices.Values(world.runningOperations()), func(op *AsyncOperation) bool {
		return strings.EqualFold(parentOf(op.Target), v.ID)
	})
}

// updatingOperation is the running operation that makes v Updating, if
// any: one on v itself always; one on a peering of v unless
// azure-vnet-updating=none; one on a peering whose remote is v under
// local-and-remote. Expects world.mu held.
func (world *World) updatingOperation(v *VNet) *AsyncOperation {
	mode := world.variant(VariantAzureVNetUpdating)
	for _, op := range world.runningOperations() {
		switch {
		case strings.EqualFold(op.Target, v.ID):
			return op
		case mode != vnetUpdatingNone && strings.EqualFold(parentOf(op.Target), v.ID):
			return op
		case mode == vnetUpdatingBothWays && strings.EqualFold(op.Remote, v.ID):
			return op
		}
	}
	return nil
}

// vnetProvisioningState is a network's provisioningState. Expects world.mu held.
func (world *World) vnetProvisioningState(v *VNet) string {
	if world.updatingOperation(v) != nil {
		return "Updating"
	}
	return "Succeeded"
}

// startOtherOperation starts an operation no client of the request asked
// for: Aiven's backend writing its side, or the one a busy fault invents.
// background ones are forgotten as they end (no URL of theirs was handed
// out); the others can be polled like any. Expects world.mu held.
func (world *World) startOtherOperation(now time.Time, target, remote, name string, background bool) *AsyncOperation {
	kind := opOtherUpdate
	if background {
		kind = opBackground
	}
	op := world.startOperation(now, kind, target, world.Timing.PeeringProvisioning.D())
	op.Remote, op.Name = remote, name
	return op
}

// busyRefusal is the operation that keeps a write from going on.
type busyRefusal struct {
	op *AsyncOperation
	// vnet is the network op is on, for its operation URL.
	vnet *VNet
}

// anotherOperation finds the operation that keeps a write to peeringID on
// local (and, for a DELETE, to its remote) from going on, starting one
// first when FaultConfig.RateBusy says so. Expects world.mu held.
func (q *armRequest) anotherOperation(local *VNet, peeringID, remoteID string) *busyRefusal {
	now := q.s.clock.Now()
	if q.s.faults.roll(APIARM, func(c FaultConfig) float64 { return c.RateBusy }) {
		q.world.startOtherOperation(now, peeringID, remoteID, opNamePutPeering, false)
	}
	if op := q.world.operationOn(peeringID); op != nil {
		return &busyRefusal{op: op, vnet: local}
	}
	if op := q.world.localOperation(local); op != nil {
		return &busyRefusal{op: op, vnet: q.world.vnet(parentOf(op.Target))}
	}
	if q.r.Method == http.MethodDelete {
		if remote := q.world.vnet(remoteID); remote != nil {
			if op := q.world.updatingOperation(remote); op != nil {
				return &busyRefusal{op: op, vnet: q.world.vnet(parentOf(op.Target))}
			}
		}
	}
	return nil
}

// anotherOperationText is AnotherOperationInProgress's message, naming
// the running operation's status URL and ending in a full stop after it
// (microsoft/AzureTRE#2222).
func (q *armRequest) anotherOperationText(b *busyRefusal) string {
	url := ""
	if b.vnet != nil {
		url = q.operationURL(b.vnet, b.op, false)
	}
	return fmt.Sprintf("Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: %s.", url)
}

// refuseBusy answers a write that another operation keeps from going on,
// as variant azure-busy says, and reports whether it answered: under
// async-failure it does not, and the caller accepts the write with an
// operation that fails at once (failBusy).
func (q *armRequest) refuseBusy(b *busyRefusal) bool {
	status := http.StatusConflict
	switch q.world.variant(VariantAzureBusy) {
	case busyAsyncFailure:
		return false
	case busyBadRequest:
		status = http.StatusBadRequest
	}
	if b.vnet != nil {
		q.s.retryAfter(q.w, b.op, q.s.clock.Now())
	}
	networkError(q.w, status, "AnotherOperationInProgress", q.anotherOperationText(b))
	return true
}

// failBusy makes op, the operation of a write accepted under
// azure-busy=async-failure, end at once Failed with AnotherOperationInProgress.
func (q *armRequest) failBusy(op *AsyncOperation, b *busyRefusal) {
	if b == nil {
		return
	}
	op.Fail, op.FailCode, op.FailMessage = true, "AnotherOperationInProgress", q.anotherOperationText(b)
	op.DoneAt = op.StartedAt
}

// remoteNotProvisioned answers a PUT of peeringID whose remote network is
// being updated, with ReferencedResourceNotProvisioned, after starting an
// update of it (PutSubnetOperation, as in the public texts) when
// FaultConfig.RateReferencedNotProvisioned says so. It reports whether it
// answered. Expects world.mu held.
func (q *armRequest) remoteNotProvisioned(peeringID string, remote *VNet) bool {
	if q.s.faults.roll(APIARM, func(c FaultConfig) float64 { return c.RateReferencedNotProvisioned }) {
		q.world.startOtherOperation(q.s.clock.Now(), remote.ID, "", opNamePutSubnet, false)
	}
	op := q.world.updatingOperation(remote)
	if op == nil {
		return false
	}
	name := op.Name
	if name == "" {
		name = opNamePutPeering
		if op.Kind == opPeeringDelete {
			name = opNameDeletePeering
		}
	}
	networkError(q.w, http.StatusBadRequest, "ReferencedResourceNotProvisioned", fmt.Sprintf(
		"Cannot proceed with operation because resource %s used by resource %s is not in Succeeded state. Resource is in Updating state and the last operation that updated/is updating the resource is %s.",
		remote.ID, peeringID, name))
	return true
}
