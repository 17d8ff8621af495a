#!/usr/bin/env bash
# The documented procedure, run by hand with the official clients — the
# Azure CLI (Debian's azure-cli) and avn (aiven-client) — against the
# sandbox in proxy mode, unchanged: they talk to login.microsoftonline.com,
# graph.microsoft.com, management.azure.com and api.aiven.io, which the
# sandbox answers as. It checks that the sandbox speaks their language, not
# azpeer's. Not part of the test suite (it needs both clients installed);
# BENCHMARKS.md and the project's notes say when it last ran and how.
#
#   scripts/official-clients.sh            # starts a sandbox of its own
#   AS=person scripts/official-clients.sh  # signs in as admin@contoso.onmicrosoft.com
#                                          # with az login --use-device-code
#   AVN="python3 -m aiven.client" scripts/official-clients.sh
#
# Debian's azure-cli 2.45 cannot load its network module
# (AttributeError: 'NoneType' object has no attribute 'standard_medium',
# Azure/azure-cli#24745 and #26830, a packaging fault), so the network
# steps use `az rest` with the body `az network vnet peering create` sends,
# and the auxiliary-token header it adds for the remote tenant; the role
# steps, likewise, are the PUTs `az role … create` sends (below).
set -euo pipefail
cd "$(dirname "$0")/.."

AVN=${AVN:-avn}
command -v "${AVN%% *}" >/dev/null || { echo "$(basename "$0"): needs avn (aiven-client): install it, or set AVN (see above)" >&2; exit 1; }
# shellcheck source=scripts/proxy-sandbox.sh
. scripts/proxy-sandbox.sh
AIVEN_THROUGH_PROXY=1 serve_sandbox --speed 50
export AZURE_CONFIG_DIR=$work/az AZURE_CORE_COLLECT_TELEMETRY=no
avn() { command $AVN --auth-token "$AIVEN_TOKEN" "$@"; }
step() { printf '\n== %s\n' "$*"; }
t0=$SECONDS

project=tsdb-staging rg=rg-app vnet=app-vnet
sub=$AZURE_SUBSCRIPTION_ID
if [ "${AS:-app}" = person ]; then
  step "1 az login --use-device-code (admin@contoso.onmicrosoft.com; the code answered through /_sandbox/devicecode/approve)"
  az login --use-device-code -o none 2>"$work/login.err" &
  login=$!
  code=""
  for _ in $(seq 100); do
    code=$(grep -o 'enter the code [A-Z0-9]*' "$work/login.err" | awk '{print $4}' || true)
    [ -n "$code" ] && break
    sleep 0.1
  done
  curl -sf --cacert "$REQUESTS_CA_BUNDLE" -H "Authorization: aivenv1 $AIVEN_TOKEN" \
    -d "{\"user_code\":\"$code\",\"user\":\"admin@contoso.onmicrosoft.com\"}" "$base/_sandbox/devicecode/approve" >/dev/null
  wait "$login"
  az ad signed-in-user show --query userPrincipalName -o tsv
else
  step "1 az login (admin)"
  az login --service-principal -u "$AZURE_CLIENT_ID" --password="$AZURE_CLIENT_SECRET" --tenant "$AZURE_TENANT_ID" -o none
fi
az account set --subscription "$sub"
step "2 az ad app create"
app=$(az ad app create --display-name "official-clients-$RANDOM" --sign-in-audience AzureADMultipleOrgs --query appId -o tsv)
echo "app $app"
step "3 az ad sp create"
sp=$(az ad sp create --id "$app" --query id -o tsv)
step "4 az ad app credential reset"
secret=$(az ad app credential reset --id "$app" --append --query password -o tsv 2>/dev/null)
step "5 VNet (az rest: GET virtualNetworks)"
vnet_id=$(az rest --method get --url "https://management.azure.com/subscriptions/$sub/resourceGroups/$rg/providers/Microsoft.Network/virtualNetworks/$vnet?api-version=2024-05-01" --query id -o tsv)
echo "$vnet_id"
# Debian's az role assignment create fails too ('RoleAssignmentsOperations'
# object has no attribute 'config': its azure-mgmt-authorization is newer
# than the CLI), so the role steps are the PUTs az role … create sends.
assign() { # scope role-definition-id principal
  az rest --method put --url "https://management.azure.com$1/providers/Microsoft.Authorization/roleAssignments/$(python3 -c 'import uuid; print(uuid.uuid4())')?api-version=2022-04-01" \
    --body "{\"properties\":{\"roleDefinitionId\":\"$2\",\"principalId\":\"$3\",\"principalType\":\"ServicePrincipal\"}}" --query id -o tsv
}
step "6 role assignment: Network Contributor for the app's service principal"
for i in $(seq 20); do
  assign "$vnet_id" "/subscriptions/$sub/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7" "$sp" && break
  sleep 1 # the new service principal replicates (PrincipalNotFound)
done
step "7 az ad sp create (Aiven's app)"
aiven_sp=$(az ad sp show --id 55f300d4-fc50-4c5e-9222-e90a6e2187fb --query id -o tsv 2>/dev/null || az ad sp create --id 55f300d4-fc50-4c5e-9222-e90a6e2187fb --query id -o tsv)
step "8 role definition: peer/action only"
role_id=$(az rest --method put --url "https://management.azure.com/subscriptions/$sub/providers/Microsoft.Authorization/roleDefinitions/$(python3 -c 'import uuid; print(uuid.uuid4())')?api-version=2022-04-01" \
  --body "{\"properties\":{\"roleName\":\"vnet-peer-$RANDOM\",\"description\":\"Allows for peering to a VNet\",\"type\":\"CustomRole\",\"permissions\":[{\"actions\":[\"Microsoft.Network/virtualNetworks/peer/action\"]}],\"assignableScopes\":[\"/subscriptions/$sub\"]}}" --query id -o tsv)
echo "$role_id"
step "9 role assignment: the peer role for Aiven's service principal"
for i in $(seq 20); do
  assign "$vnet_id" "$role_id" "$aiven_sp" && break
  sleep 1 # the new role definition replicates
done
step "10 tenant id"
tenant=$(az account show --query tenantId -o tsv)
step "11 avn vpc peering-connection create"
vpc=$(avn vpc list --project "$project" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["project_vpc_id"])')
avn vpc peering-connection create --project "$project" --project-vpc-id "$vpc" --peer-cloud-account "$sub" \
  --peer-resource-group "$rg" --peer-vpc "$vnet" --peer-azure-app-id "$app" --peer-azure-tenant-id "$tenant"
step "12 avn vpc peering-connection get -v (until PENDING_PEER)"
get() { avn vpc peering-connection get --project "$project" --project-vpc-id "$vpc" --peer-cloud-account "$sub" --peer-resource-group "$rg" --peer-vpc "$vnet" --json; }
# wait_for STATE polls the connection for up to a minute; $state is what it saw last.
wait_for() {
  for _ in $(seq 120); do
    state=$(get | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    [ "$state" = "$1" ] && break
    sleep 0.5
  done
  echo "state $state"
}
wait_for PENDING_PEER
info=$(get)
aiven_tenant=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state_info"]["to-tenant-id"])' <<<"$info")
aiven_vnet=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state_info"]["to-network-id"])' <<<"$info")
echo "to-tenant-id $aiven_tenant"
echo "to-network-id $aiven_vnet"
step "13 az login as the app, in Aiven's tenant and yours"
az logout
for i in $(seq 30); do
  az login --service-principal -u "$app" --password="$secret" --tenant "$aiven_tenant" --allow-no-subscriptions -o none && break
  sleep 1 # the service principal replicates
done
az login --service-principal -u "$app" --password="$secret" --tenant "$tenant" -o none
step "14 the Azure peering (az rest PUT, with the auxiliary token for Aiven's tenant)"
aux=$(az account get-access-token --tenant "$aiven_tenant" --resource https://management.azure.com/ --query accessToken -o tsv)
body="{\"properties\":{\"remoteVirtualNetwork\":{\"id\":\"$aiven_vnet\"},\"allowVirtualNetworkAccess\":true,\"allowForwardedTraffic\":false,\"allowGatewayTransit\":false,\"useRemoteGateways\":false}}"
for i in $(seq 60); do
  az rest --method put --url "https://management.azure.com$vnet_id/virtualNetworkPeerings/aiven-peering?api-version=2024-05-01" \
    --headers "x-ms-authorization-auxiliary=Bearer $aux" --body "$body" --query properties.peeringState -o tsv && break
  sleep 1 # Aiven's grant replicates (LinkedAuthorizationFailed)
done
step "15 avn vpc peering-connection get (until ACTIVE)"
wait_for ACTIVE
az rest --method get --url "https://management.azure.com$vnet_id/virtualNetworkPeerings/aiven-peering?api-version=2024-05-01" --query '{state:properties.peeringState,sync:properties.peeringSyncLevel}' -o tsv
[ "$state" = ACTIVE ] || { echo "did not reach ACTIVE" >&2; exit 1; }
echo
echo "ACTIVE with the official clients in $((SECONDS - t0)) s"

step "avn project ca-get (the CA that signs the project's service certificates)"
avn project ca-get --project "$project" --target-filepath "$work/project-ca.pem"
openssl x509 -in "$work/project-ca.pem" -noout -subject -enddate

if command -v npm >/dev/null; then
  step "Microsoft's JavaScript SDKs (@azure/identity, @azure/arm-network, @azure/arm-authorization)"
  js=$work/js
  cp -r scripts/official-clients-js "$js"
  # npm fetches from its registry, not through the sandbox (which refuses other hosts).
  (cd "$js" && env -u HTTPS_PROXY npm install --silent --no-audit --no-fund >/dev/null)
  NODE_EXTRA_CA_CERTS=$AZPEER_CA_FILE node "$js/check.mjs"
fi
