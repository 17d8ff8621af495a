#!/usr/bin/env bash
# Wall time of azpeer commands signed in with the Azure CLI against the
# same commands signed in as an app with its secret (the service-principal
# path), on a served sandbox in proxy mode: both paths talk to
# login.microsoftonline.com, management.azure.com and graph.microsoft.com
# through the sandbox's HTTPS proxy, do the same work (same subscription,
# AZURE_SUBSCRIPTION_ID), and differ only in the credential. Each command
# runs N times per path, interleaved, after one warm-up; the script prints
# medians, and the median of `az account get-access-token` alone (the cost
# of one token from the CLI, the floor of any command that needs one).
# Numbers go to BENCHMARKS.md.
#
#   scripts/bench-cli-credential.sh            # N=7
#   N=11 scripts/bench-cli-credential.sh
#   AZPEER=/tmp/azpeer-old scripts/bench-cli-credential.sh   # another build
#   LATENCY=50ms scripts/bench-cli-credential.sh  # every sandbox answer 50 ms late
#
# LATENCY (the sandbox's --latency, default 0s) stands for the network: a
# real Aiven or Azure call takes tens of milliseconds or more, which is what
# lets list overlap its Azure sign-in with its Aiven calls.
#
# Needs the Azure CLI (Debian's azure-cli 2.45 works; proxy mode and the
# sandbox's CA via REQUESTS_CA_BUNDLE as in scripts/official-clients.sh).
# It signs the CLI in, as the scenario's administrator app, in a private
# AZURE_CONFIG_DIR, never in ~/.azure.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-7}
LATENCY=${LATENCY:-0s}
command -v az >/dev/null || { echo "bench-cli-credential: needs the Azure CLI (apt-get install azure-cli)" >&2; exit 1; }
# shellcheck source=scripts/proxy-sandbox.sh
. scripts/proxy-sandbox.sh
# Proxy mode: Microsoft's own host names (the Azure CLI credential is used
# only with Microsoft's authority). Aiven stays at AIVEN_WEB_URL, the same
# in both paths.
serve_sandbox --speed 0 --latency "$LATENCY"
export AZURE_CONFIG_DIR=$work/az AZURE_CORE_COLLECT_TELEMETRY=no
az login --service-principal -u "$AZURE_CLIENT_ID" --password="$AZURE_CLIENT_SECRET" --tenant "$AZURE_TENANT_ID" -o none
az account set --subscription "$AZURE_SUBSCRIPTION_ID"

sp() { "$bin" "$@"; }
cli() { env -u AZURE_TENANT_ID -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET "$bin" "$@"; }

# ms runs its arguments once, output discarded, and prints milliseconds.
ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>"$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'; }

row() { # label, then the azpeer arguments
  local label=$1
  shift
  sp "$@" >/dev/null 2>&1 || true
  cli "$@" >/dev/null 2>&1 || true
  : >"$work/sp" && : >"$work/cli"
  for _ in $(seq "$N"); do
    ms sp "$@" >>"$work/sp"
    ms cli "$@" >>"$work/cli"
  done
  local a b
  a=$(median <"$work/sp")
  b=$(median <"$work/cli")
  printf '%-22s %8s s %8s s %+8.2f s\n' "$label" "$a" "$b" "$(echo "$b - $a" | bc)"
}

echo "medians of $N runs; $(nproc) cores; azure-cli $(az version --query '"azure-cli"' -o tsv 2>/dev/null || echo '?'); sandbox latency $LATENCY"
printf '%-22s %10s %10s %10s\n' command "app secret" "Azure CLI" difference
row "list" list
row "list --json" list --json
row "vnets" vnets
row "create --dry-run" create --dry-run --state-dir "$work/runs" --project tsdb-staging \
  --vpc 2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b --vnet rg-app/app-vnet
: >"$work/aztimes"
for _ in $(seq "$N"); do ms az account get-access-token --resource https://management.azure.com/ -o none >>"$work/aztimes"; done
printf '%-22s %10s %8s s\n' "az get-access-token" "" "$(median <"$work/aztimes")"
