# Sourced (not run) by the scripts that drive official clients against a
# served sandbox in proxy mode: scripts/official-clients.sh,
# scripts/avn-organization-vpcs.sh, scripts/bench-cli-credential.sh.
#
# serve_sandbox [serve flags…] builds azpeer into a new $work directory
# (or uses the build $AZPEER names), serves a sandbox on a free loopback
# port with the flags given, reads its env file and sends HTTPS through
# its proxy, so clients talk to login.microsoftonline.com,
# graph.microsoft.com and management.azure.com, which the sandbox answers
# as. With AIVEN_THROUGH_PROXY=1, Aiven's clients go to api.aiven.io
# through the proxy too (else they use AIVEN_WEB_URL). It sets work, bin,
# serve_pid, port and base, and traps EXIT to stop the sandbox and remove
# $work.

serve_sandbox() {
  work=$(mktemp -d)
  trap 'kill "${serve_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
  bin=${AZPEER:-}
  if [ -z "$bin" ]; then
    go build -o "$work/azpeer" .
    bin=$work/azpeer
  fi
  "$bin" sandbox serve --listen 127.0.0.1:0 --env-file "$work/sandbox.env" "$@" >"$work/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 200); do [ -s "$work/sandbox.env" ] && break; sleep 0.05; done
  # shellcheck disable=SC1091
  . "$work/sandbox.env"
  port=${AZPEER_ARM_ENDPOINT##*:}
  base=$AZPEER_ARM_ENDPOINT
  unset AZURE_AUTHORITY_HOST AZPEER_ARM_ENDPOINT AZPEER_GRAPH_ENDPOINT
  if [ "${AIVEN_THROUGH_PROXY:-0}" = 1 ]; then
    unset AIVEN_WEB_URL
  fi
  export HTTPS_PROXY=http://127.0.0.1:$port NO_PROXY=127.0.0.1,localhost
}
