#!/usr/bin/env bash
# Process wall time and peak memory of `azpeer list --json` on the default
# scenario, three runs each: with --sandbox (which also starts an in-process
# sandbox) and against a served sandbox (the client alone). Needs GNU time
# (/usr/bin/time; Debian package "time"). Numbers go to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/time ] || { echo "bench-list: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill "${serve_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/azpeer" .

measure() {
  for _ in 1 2 3; do
    /usr/bin/time -f '%e s wall, %M KB peak RSS' "$@" >/dev/null 2>"$work/t" || { cat "$work/t" >&2; exit 1; }
    tail -1 "$work/t"
  done
}

echo "azpeer list --sandbox --json:"
measure "$work/azpeer" list --sandbox --json

"$work/azpeer" sandbox serve --listen 127.0.0.1:0 --speed 0 --env-file "$work/sandbox.env" >/dev/null 2>&1 &
serve_pid=$!
for _ in $(seq 100); do [ -s "$work/sandbox.env" ] && break; sleep 0.05; done
# shellcheck disable=SC1091
. "$work/sandbox.env"
echo "azpeer list --json against a served sandbox:"
measure "$work/azpeer" list --json
