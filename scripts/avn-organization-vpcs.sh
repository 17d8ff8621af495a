#!/usr/bin/env bash
# avn's organization VPC commands (aiven-client), unchanged, against the
# sandbox in proxy mode: list, get, clouds, create, peering-connection
# create / list / refresh / user-peer-network-cidrs add and delete /
# delete, and VPC delete. It checks that the sandbox's organization VPC
# endpoints speak avn's language (its paths, bodies and answers), not
# azpeer's. Not part of the test suite: avn is not packaged for Debian and
# PyPI is out of reach here, so it runs from a checkout of aiven-client
# (with Debian's python3-requests and python3-requests-toolbelt):
#
#   AVN="env PYTHONPATH=/path/to/aiven-client /usr/bin/python3 -m aiven.client" scripts/avn-organization-vpcs.sh
set -euo pipefail
cd "$(dirname "$0")/.."

AVN=${AVN:-avn}
command -v "${AVN%% *}" >/dev/null || { echo "$(basename "$0"): needs avn (aiven-client): install it, or set AVN (see above)" >&2; exit 1; }
# shellcheck source=scripts/proxy-sandbox.sh
. scripts/proxy-sandbox.sh
AIVEN_THROUGH_PROXY=1 serve_sandbox --speed 50
avn() { command $AVN --auth-token "$AIVEN_TOKEN" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
step() { printf '\n== %s\n' "$*"; }
t0=$SECONDS

step "organization list"
org=$(avn organization list --json | json 'd[0]["organization_id"]')
echo "organization $org"
step "organization vpc list"
avn organization vpc list --organization-id "$org"
vpc=$(avn organization vpc list --organization-id "$org" --json | json 'd[0]["organization_vpc_id"]')
step "organization vpc get"
avn organization vpc get --organization-id "$org" --organization-vpc-id "$vpc" --verbose
step "organization vpc peering-connection list"
avn organization vpc peering-connection list --organization-id "$org" --organization-vpc-id "$vpc"
step "organization vpc clouds list"
avn organization vpc clouds list --organization-id "$org" --json | head -c 400; echo
step "organization vpc create (azure-northeurope, 10.72.0.0/24)"
new=$(avn organization vpc create --organization-id "$org" --cloud azure-northeurope --network-cidr 10.72.0.0/24 --json | json 'd[0]["organization_vpc_id"]')
echo "created $new"
for _ in $(seq 120); do
  state=$(avn organization vpc get --organization-id "$org" --organization-vpc-id "$new" --json | json 'd[0]["state"]')
  [ "$state" = ACTIVE ] && break
  sleep 0.5
done
echo "state $state"
step "organization vpc peering-connection create (rg-app/app-vnet)"
avn organization vpc peering-connection create --organization-id "$org" --organization-vpc-id "$new" \
  --peer-cloud-account "$AZURE_SUBSCRIPTION_ID" --peer-resource-group rg-app --peer-vpc app-vnet \
  --peer-azure-app-id "$AZURE_CLIENT_ID" --peer-azure-tenant-id "$AZURE_TENANT_ID"
pc=$(avn organization vpc peering-connection list --organization-id "$org" --organization-vpc-id "$new" --json | json 'd[0]["peering_connection_id"]')
echo "peering connection $pc"
step "organization vpc peering-connection refresh"
avn organization vpc peering-connection refresh --organization-id "$org" --organization-vpc-id "$new"
step "organization vpc peering-connection user-peer-network-cidrs add / delete"
avn organization vpc peering-connection user-peer-network-cidrs add --organization-id "$org" --organization-vpc-id "$new" --peering-connection-id "$pc" 10.99.0.0/24
avn organization vpc peering-connection list --organization-id "$org" --organization-vpc-id "$new" --json | json 'd[0].get("user_peer_network_cidrs")'
avn organization vpc peering-connection user-peer-network-cidrs delete --organization-id "$org" --organization-vpc-id "$new" --peering-connection-id "$pc" 10.99.0.0/24
avn organization vpc peering-connection list --organization-id "$org" --organization-vpc-id "$new" --json | json 'd[0].get("user_peer_network_cidrs")'
step "organization vpc peering-connection delete"
avn organization vpc peering-connection delete --organization-id "$org" --organization-vpc-id "$new" --peering-connection-id "$pc"
for _ in $(seq 120); do
  left=$(avn organization vpc peering-connection list --organization-id "$org" --organization-vpc-id "$new" --json | json 'len(d)')
  [ "$left" = 0 ] && break
  sleep 0.5
done
echo "connections left $left"
step "organization vpc delete"
avn organization vpc delete --organization-id "$org" --organization-vpc-id "$new"
echo
echo "avn's organization VPC commands ran against the sandbox in $((SECONDS - t0)) s"
