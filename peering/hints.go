package peering

import "fmt"

// StateHint is the usual cause of a connection's state, from Aiven's and
// Azure's docs, in a sentence for a person.
func StateHint(c Connection) string {
	switch c.State {
	case StateActive:
		return "Nothing to fix: the peering is ACTIVE."
	case StateApproved, StateApprovedPeerRequested:
		return "Aiven has not acted on the request yet; it checks APPROVED connections periodically (minutes)."
	case StatePendingPeer:
		return fmt.Sprintf("Aiven's side is ready; it waits for the Azure peering from your VNet to Aiven's (to-network-id). Step %d of the checklist (o in the dashboard) creates it.",
			StepNumber(StepAzurePeering))
	case StateRejectedByPeer:
		return fmt.Sprintf("Aiven's service principal could not peer with your VNet: usually it lacks Microsoft.Network/virtualNetworks/peer/action on the VNet (checklist steps %d, %d and %d), or the app or tenant id is wrong.",
			StepNumber(StepAivenSP), StepNumber(StepPeerRole), StepNumber(StepGrantAiven))
	case StateInvalidSpecification:
		return "Aiven could not find what the request names: check that the subscription, resource group and VNet exist and are spelled in lower case, and that the address ranges do not overlap."
	case StateDeletedByPeer:
		return fmt.Sprintf("The Azure peering from your VNet was deleted; create it again (checklist step %d) or delete this connection.",
			StepNumber(StepAzurePeering))
	case StateError:
		return "Aiven hit an error; refresh, and if it stays, contact Aiven support with the state_info above."
	}
	return ""
}
