// Microsoft's JavaScript SDKs against the sandbox, unchanged: list VNets
// and their peerings, and the role definitions of the subscription.
import { ClientSecretCredential } from "@azure/identity";
import { NetworkManagementClient } from "@azure/arm-network";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
const { AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_SUBSCRIPTION_ID } = process.env;
const cred = new ClientSecretCredential(AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET);
const net = new NetworkManagementClient(cred, AZURE_SUBSCRIPTION_ID);
for await (const v of net.virtualNetworks.listAll()) {
  console.log("vnet", v.id, v.addressSpace.addressPrefixes.join(","));
  const rg = v.id.split("/")[4];
  for await (const p of net.virtualNetworkPeerings.list(rg, v.name)) {
    console.log("  peering", p.name, p.peeringState, p.peeringSyncLevel, p.provisioningState);
  }
}
const authz = new AuthorizationManagementClient(cred, AZURE_SUBSCRIPTION_ID);
let n = 0;
for await (const d of authz.roleDefinitions.list(`/subscriptions/${AZURE_SUBSCRIPTION_ID}`, { filter: "type eq 'CustomRole'" })) { n++; console.log("custom role", d.roleName); }
console.log("custom roles", n);
