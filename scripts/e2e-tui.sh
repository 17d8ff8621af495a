#!/usr/bin/env bash
# End-to-end test of the dashboard, driven the way a person uses it: tmux
# (on a private socket, so no user session is touched) runs the built
# binary with --sandbox; keys create the peering tsdb-staging ↔
# rg-app/app-vnet through the wizard; the script waits until the checklist
# shows ACTIVE, deletes the peering with X, quits with q and checks the
# exit status.
#
# Usage: scripts/e2e-tui.sh            (builds ./azpeer first)
#        AZPEER_BIN=/path/to/azpeer scripts/e2e-tui.sh
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${AZPEER_BIN:-./azpeer}
TIMEOUT=${E2E_TIMEOUT:-180}   # seconds for the whole run to reach ACTIVE
SOCKET=azpeer-e2e
SESSION=e2e

if ! command -v tmux >/dev/null 2>&1; then
  echo "e2e-tui: installing tmux" >&2
  if ! apt-get install -y tmux >/dev/null 2>&1; then
    apt-get update >/dev/null && apt-get install -y tmux >/dev/null
  fi
fi
if [ -z "${AZPEER_BIN:-}" ]; then
  # Build (cached, so cheap) rather than trust a stale ./azpeer.
  echo "e2e-tui: building $BIN" >&2
  go build -o "$BIN" .
fi
[ -x "$BIN" ] || { echo "e2e-tui: $BIN is not an executable" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

WORK=$(mktemp -d)
tmx() { tmux -L "$SOCKET" "$@"; }
cleanup() {
  tmx kill-server >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
tmx kill-server >/dev/null 2>&1 || true

screen() { tmx capture-pane -p -t "$SESSION" 2>/dev/null || true; }

fail() {
  echo "e2e-tui: FAIL: $*" >&2
  echo "----- screen -----" >&2
  if [ -f "$WORK/screen" ]; then cat "$WORK/screen" >&2; else screen >&2; fi
  echo "------------------" >&2
  exit 1
}

# wait_for TEXT [SECONDS]: poll the pane until it shows TEXT.
wait_for() {
  local text=$1 limit=${2:-30} start=$SECONDS
  while (( SECONDS - start < limit )); do
    if screen | grep -qF -- "$text"; then
      return 0
    fi
    if [ -f "$WORK/exit" ]; then
      fail "azpeer exited (status $(cat "$WORK/exit")) while waiting for '$text'"
    fi
    sleep 0.2
  done
  fail "timed out after ${limit}s waiting for '$text'"
}

keys() { tmx send-keys -t "$SESSION" "$@"; }
# type_text sends literal text (no key-name lookup).
type_text() { tmx send-keys -t "$SESSION" -l -- "$1"; }

started=$(date +%s%N)
# The pane's command records azpeer's exit status and the last screen,
# then lingers so the status can be read.
tmx new-session -d -s "$SESSION" -x 120 -y 40 \
  "cd '$PWD' && XDG_STATE_HOME='$WORK/state' TERM=xterm-256color '$BIN' --sandbox; echo \$? > '$WORK/exit.tmp'; mv '$WORK/exit.tmp' '$WORK/exit'; sleep 600"

echo "e2e-tui: waiting for the projects" >&2
wait_for "tsdb-staging" 60
echo "e2e-tui: first frame with the projects after $(( ($(date +%s%N) - started) / 1000000 )) ms (polled every 200 ms)" >&2
wait_for "refreshed" 30

# Open tsdb-staging: filter the list, keep the filter, open.
keys /; type_text tsdb-staging; keys Enter
wait_for "› tsdb-staging"
keys Enter
wait_for "VPC 2a3b4c5d"

# The wizard: VPC, subscription, VNet (filtered to app-vnet), options, review.
keys n
wait_for "New peering for tsdb-staging"
wait_for "azure-westeurope"
keys Enter
wait_for "Contoso Production"
keys Enter
wait_for "rg-app/app-vnet"
keys /; type_text app-vnet; keys Enter
wait_for "› ✓ rg-app/app-vnet"
keys Enter
wait_for "app name"
keys Enter
wait_for "sent to Aiven"
keys Enter

echo "e2e-tui: running the checklist" >&2
wait_for "checklist" 30
wait_for "✓ complete" "$TIMEOUT"
wait_for "● ACTIVE"
wait_for "● Connected"
screen > "$WORK/screen"
grep -qF "PENDING_PEER" "$WORK/screen" || fail "the state line did not show PENDING_PEER"

# Delete it again from the checklist: X, the question, y, the progress.
echo "e2e-tui: deleting the peering" >&2
keys X
wait_for "delete peering?"
wait_for "created by azpeer"
keys y
wait_for "deleted in" "$TIMEOUT"
wait_for "deleted the app azpeer-tsdb-staging-app-vnet"

keys q
start=$SECONDS
while [ ! -f "$WORK/exit" ]; do
  (( SECONDS - start < 30 )) || fail "q did not quit within 30s"
  sleep 0.2
done
status=$(cat "$WORK/exit")
[ "$status" = 0 ] || fail "azpeer exited with status $status"
echo "e2e-tui: OK (peering ACTIVE, deleted, clean exit)" >&2
