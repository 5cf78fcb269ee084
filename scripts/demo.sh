#!/usr/bin/env bash
# ztm's main job: build, then run ztm-gateway over real TLS (a throwaway CA and certificate,
# the embedded SQLite store) in front of a small upstream API, a man in the middle with a
# certificate from the same CA but another key, and a pin failure report collector; then let
# the demo app (ztm-demo, built on libztm) walk through the protocol -- register the device,
# sign in, a signed DPoP-bound API call, a restart that refreshes, logout with the wipe -- and
# the attacks that must fail: the interceptor (refused by pinning, and reported), what it does
# with what an app without pins let it read, a stolen copy of the app's files. Part 2 runs the
# remaining checks offline through the `ztm` command line.
#
#   bash scripts/demo.sh [--no-build] [--json]
#
#   --no-build  use existing binaries (CTest's demo_script test): ZTM_BIN, ZTM_GATEWAY_BIN and
#               ZTM_DEMO_BIN name them, default ./build/default/...
#   --json      ztm-demo prints one JSON object per step on stdout; this script's own
#               narration goes to stderr
#
# Exits 0 when every legitimate step was accepted, every attack refused and the gateway
# stopped cleanly; 1 otherwise. Leaves no process and no file behind.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
json=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --json) json=1 ;;
    *) echo "usage: bash scripts/demo.sh [--no-build] [--json]" >&2; exit 2 ;;
  esac
done

# This script's narration goes to fd 3: stdout, or stderr when stdout carries JSON.
if [ "$json" -eq 1 ]; then exec 3>&2; else exec 3>&1; fi
bold=$'\e[1m'; green=$'\e[32m'; red=$'\e[31m'; off=$'\e[0m'
if [ ! -t 3 ] || [ -n "${NO_COLOR:-}" ]; then bold=; green=; red=; off=; fi
step() { printf '\n%s%s%s\n' "$bold" "$1" "$off" >&3; }
say() { printf '   %s\n' "$1" >&3; }
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/ztm-demo.XXXXXX")
upstream_pid=
gateway_pid=
interceptor_pid=
collector_pid=
# stop PID: SIGTERM, then SIGKILL if PID is still running 15 s later (the gateway gives
# in-flight requests 10 s); returns PID's exit status.
stop() {
  local i status=0
  kill -TERM "$1" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || status=$?
  return "$status"
}
# Stops what this script started (by pid) and removes the work directory, however it ends.
cleanup() {
  local pid
  for pid in $interceptor_pid $collector_pid $gateway_pid $upstream_pid; do
    stop "$pid" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$build" -eq 1 ]; then
  printf 'Building (install-deps, cmake --preset default, ztm, ztm-gateway, ztm-demo)...\n' >&3
  if ! { bash scripts/install-deps.sh && cmake --preset default &&
         cmake --build --preset default --target ztm ztm-gateway ztm-demo; } >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    echo "demo: the build failed (the end of its log is above)" >&2
    exit 1
  fi
fi
ztm="${ZTM_BIN:-./build/default/src/cli/ztm}"
gateway_bin="${ZTM_GATEWAY_BIN:-./build/default/src/server/ztm-gateway}"
demo_bin="${ZTM_DEMO_BIN:-./build/default/examples/ztm-demo}"
for binary in "$ztm" "$gateway_bin" "$demo_bin"; do
  [ -x "$binary" ] || { echo "demo: $binary is missing: run without --no-build" >&2; exit 1; }
done

# wait_for_line FILE PATTERN PID: prints the first line of FILE matching PATTERN, waiting up to
# 15 s while PID lives.
wait_for_line() {
  local i line
  for ((i = 0; i < 150; i++)); do
    if line=$(grep -m1 -E "$2" "$1" 2>/dev/null); then printf '%s\n' "$line"; return 0; fi
    kill -0 "$3" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
step "Setting up (everything below lives in $work and is removed at the end)"

mkdir "$work/tls"
(
  cd "$work/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=ztm demo CA (throwaway)" -keyout ca.key -out ca.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=localhost -keyout gateway.key -out gateway.csr
  printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
    'extendedKeyUsage=serverAuth' >gateway.ext
  openssl x509 -req -in gateway.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile gateway.ext -out gateway.crt
  # The man in the middle: a certificate for the same name from the same CA, with its own key.
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=localhost -keyout mitm.key -out mitm.csr
  openssl x509 -req -in mitm.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile gateway.ext -out mitm.crt
  # The pin failure report collector, at 127.0.0.1 (not a pinned host).
  printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
    'extendedKeyUsage=serverAuth' >collector.ext
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=127.0.0.1 -keyout collector.key -out collector.csr
  openssl x509 -req -in collector.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile collector.ext -out collector.crt
  # The backup key a pin set must name besides the live one (RFC 7469 §4.3): kept offline.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out backup.key
) >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log" >&2; exit 1; }
say "TLS: a throwaway CA, and P-256 certificates it issued for localhost / 127.0.0.1: the"
say "     gateway's, the interceptor's (another key) and the report collector's"
gateway_pin=$("$ztm" pin spki "$work/tls/gateway.crt")
backup_pin="sha256/$(openssl pkey -in "$work/tls/backup.key" -pubout -outform DER |
  openssl dgst -sha256 -binary | base64 -w0)"
say "pins: $gateway_pin (the gateway's key, ztm pin spki) and"
say "      $backup_pin (an offline backup key)"

python3 tests/e2e/upstream.py --log "$work/upstream.log" >"$work/upstream.out" 2>&1 &
upstream_pid=$!
line=$(wait_for_line "$work/upstream.out" 'listening on' "$upstream_pid") ||
  { cat "$work/upstream.out" >&2; echo "demo: the upstream did not start" >&2; exit 1; }
upstream_port=${line##*:}
say "upstream API: http://127.0.0.1:$upstream_port (answers with the identity the gateway sent)"

cat >"$work/gateway.yaml" <<YAML
# ztm-gateway for the demo (every option: docs/configuration.md). Paths are relative to this
# file's directory.
listen:
  address: 127.0.0.1
  port: 0                      # any free port; the "listening" log line says which
  threads: 2
  tls:
    certificate_file: tls/gateway.crt
    private_key_file: tls/gateway.key
storage:
  sqlite_path: ztm-gateway.db
  master_key_file: ztm-gateway.key
tokens:
  issuer: https://localhost
  audience: https://api.demo
  access_token_ttl_seconds: 300
  # No grace window: the demo reuses a refresh token within a second of its rotation, which
  # the default 5 s window would treat as a retry after a lost response.
  refresh_grace_seconds: 0
  refresh_grace_max_retries: 0
attestation:
  allow_software: true         # development only: proves key possession, not a genuine device
mode: reverse_proxy
upstream:
  url: http://127.0.0.1:$upstream_port
log_level: info
YAML

password=$(head -c 18 /dev/urandom | base64)
(umask 077 && printf '%s\n' "$password" >"$work/password")
"$ztm" users add alice --db "$work/ztm-gateway.db" <"$work/password" >/dev/null
say "user: alice, with a random password (ztm users add: an Argon2id hash in the store)"

"$gateway_bin" --config "$work/gateway.yaml" >"$work/gateway.log" 2>&1 &
gateway_pid=$!
line=$(wait_for_line "$work/gateway.log" '"msg":"listening"' "$gateway_pid") ||
  { cat "$work/gateway.log" >&2; echo "demo: ztm-gateway did not start" >&2; exit 1; }
gateway_port=$(printf '%s' "$line" | grep -oE '"port":[0-9]+' | cut -d: -f2)
say "ztm-gateway: https://localhost:$gateway_port (TLS, SQLite store, reverse proxy to the upstream)"

python3 examples/demo_network.py intercept --cert "$work/tls/mitm.crt" --key "$work/tls/mitm.key" \
  --ca "$work/tls/ca.pem" --upstream-port "$gateway_port" --log "$work/interceptor.log" \
  --rules "$work/interceptor.rules" >"$work/interceptor.out" 2>&1 &
interceptor_pid=$!
line=$(wait_for_line "$work/interceptor.out" 'listening on' "$interceptor_pid") ||
  { cat "$work/interceptor.out" >&2; echo "demo: the interceptor did not start" >&2; exit 1; }
interceptor_port=${line##*:}
say "interceptor: https://localhost:$interceptor_port (a man in the middle relaying to the gateway)"

python3 examples/demo_network.py collect --cert "$work/tls/collector.crt" \
  --key "$work/tls/collector.key" --log "$work/reports.log" >"$work/collector.out" 2>&1 &
collector_pid=$!
line=$(wait_for_line "$work/collector.out" 'listening on' "$collector_pid") ||
  { cat "$work/collector.out" >&2; echo "demo: the report collector did not start" >&2; exit 1; }
collector_port=${line##*:}
say "pin report collector: https://127.0.0.1:$collector_port/pin-reports"

# ---------------------------------------------------------------------------------------------
step "Part 1: the demo app against the gateway (ztm-demo)"
mkdir -m 700 "$work/apps"
demo_args=(--gateway "https://localhost:$gateway_port"
  --interceptor "https://localhost:$interceptor_port" --ca "$work/tls/ca.pem"
  --pin "$gateway_pin" --pin "$backup_pin"
  --report-uri "https://127.0.0.1:$collector_port/pin-reports" --work-dir "$work/apps"
  --interceptor-log "$work/interceptor.log" --interceptor-rules "$work/interceptor.rules"
  --collector-log "$work/reports.log" --upstream-log "$work/upstream.log"
  --username alice --password-file "$work/password")
[ "$json" -eq 1 ] && demo_args+=(--json)
demo_status=0
"$demo_bin" "${demo_args[@]}" || demo_status=$?
[ "$demo_status" -eq 0 ] || failures=$((failures + 1))

# The upstream's own record: what reached the API behind the gateway (ztm-demo checked the
# count against the calls it saw accepted).
step "What the upstream API received (its own log)"
python3 - "$work/upstream.log" >&3 <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    request = json.loads(line)
    headers = dict(request["headers"])
    print("   %s %s  X-ZTM-Subject: %s  X-ZTM-Device: %s  body: %s" % (
        request["method"], request["path"], headers.get("x-ztm-subject"),
        headers.get("x-ztm-device"), request["body"]))
PY

step "What the gateway recorded (ztm audit tail: its append-only audit trail)"
"$ztm" audit tail --db "$work/ztm-gateway.db" -n 100 | sed 's/^/   /' >&3
say "(a failure reason is written at most once per second, so bad requests cannot fill the"
say "disk; every failure is counted in the gateway's Prometheus metrics, GET /metrics:)"
curl -sS --cacert "$work/tls/ca.pem" "https://localhost:$gateway_port/metrics" |
  grep -E '^ztm_(verification_failures|tokens_issued)_total' | sed 's/^/   /' >&3 || true

# ---------------------------------------------------------------------------------------------
step "Part 2: more checks offline, through the ztm command line"
say "The same verifiers the gateway runs, as an operator or a CI job can script them."

# expect_ok DESCRIPTION CMD...: the check must pass.
expect_ok() {
  local what=$1 out; shift
  if out=$("$@" 2>&1); then
    printf '   %s%-10s%s%s\n' "$green" ACCEPTED "$off" "$what" >&3
  else
    printf '   %s%-10s%s%s\n             %s\n' "$red" FAILED "$off" "$what" "$out" >&3
    failures=$((failures + 1))
  fi
}
# expect_refused DESCRIPTION CMD...: the check must fail with exit code 1 and a reason.
expect_refused() {
  local what=$1 out status=0; shift
  out=$("$@" 2>&1) || status=$?
  if [ "$status" -eq 1 ]; then
    printf '   %s%-10s%s%s\n             why: %s\n' "$green" REFUSED "$off" "$what" "${out#ztm: }" >&3
  else
    printf '   %s%-10s%s%s\n             MISBEHAVED: exit %s, where 1 (refused) was expected\n' \
      "$red" ACCEPTED "$off" "$what" "$status" >&3
    failures=$((failures + 1))
  fi
}
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

say "pin of this gateway's certificate (libztm refuses any other): $gateway_pin"

now=$(date +%s)
url=https://api.example.com/v1/orders
body='{"item":42,"quantity":1}'
"$ztm" jwk generate --kty EC >"$work/device.jwk"
"$ztm" jwk pem "$work/device.jwk" >"$work/device.key"
"$ztm" jwk pem --public "$work/device.jwk" >"$work/device.pub"
jkt=$("$ztm" jwk thumbprint "$work/device.jwk")
# DPoP only hashes the access token (ath), so any token string shows the binding.
access_token="eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImNuZiI6eyJqa3QiOiJkZW1vIn19.c2lnbmF0dXJl"

"$ztm" dpop create --jwk "$work/device.jwk" --htm POST --htu "$url" \
  --access-token "$access_token" --now "$now" >"$work/proof"
expect_ok "a DPoP proof for POST $url, bound to the token (ath) and the device key" \
  "$ztm" dpop verify --htm POST --htu "$url" --access-token "$access_token" --jkt "$jkt" \
  --now "$now" <"$work/proof"
expect_refused "the proof presented with another access token" \
  "$ztm" dpop verify --htm POST --htu "$url" --access-token "eyJ.other.token" --jkt "$jkt" \
  --now "$now" <"$work/proof"
expect_refused "the proof presented ten minutes later" \
  "$ztm" dpop verify --htm POST --htu "$url" --access-token "$access_token" --jkt "$jkt" \
  --now $((now + 600)) <"$work/proof"

digest="sha-256=:$(printf '%s' "$body" | openssl dgst -sha256 -binary | base64 -w0):"
cat >"$work/request.http" <<HTTP
POST /v1/orders HTTP/1.1
Host: api.example.com
Authorization: DPoP $access_token
Content-Type: application/json
Content-Digest: $digest
Content-Length: ${#body}

$body
HTTP
truncate -s -1 "$work/request.http"  # the body has no trailing newline
nonce=$(head -c 12 /dev/urandom | b64url)
"$ztm" httpsig sign --request "$work/request.http" --label sig1 --key "$work/device.key" \
  --input "(\"@method\" \"@target-uri\" \"content-digest\" \"authorization\");created=$now;nonce=\"$nonce\";keyid=\"$jkt\"" \
  >"$work/signature-lines"
{ head -n 5 "$work/request.http"; cat "$work/signature-lines"; tail -n +6 "$work/request.http"; } \
  >"$work/signed.http"
expect_ok "an RFC 9421 signature by the device key over method, URL, digest and token" \
  "$ztm" httpsig verify --request "$work/signed.http" --key "$work/device.pub" --now "$now" \
  --require @method --require @target-uri --require content-digest --require authorization
sed 's#^POST /v1/orders#POST /v1/transfers#' "$work/signed.http" >"$work/retargeted.http"
expect_refused "the signed request sent to another endpoint (/v1/transfers)" \
  "$ztm" httpsig verify --request "$work/retargeted.http" --key "$work/device.pub" --now "$now"

"$ztm" jwk generate --kty EC >"$work/gateway.jwk"
sed -E 's/,"d":"[^"]*"|"d":"[^"]*",//' "$work/gateway.jwk" >"$work/gateway.pub.jwk"
none_token="$(printf '{"alg":"none"}' | b64url).$(printf '{"sub":"admin"}' | b64url)."
expect_refused "a forged token with alg \"none\" claiming to be admin" \
  "$ztm" jws verify --jwk "$work/gateway.pub.jwk" --alg ES256 <<<"$none_token"
hs_token="$(printf '{"alg":"HS256"}' | b64url).$(printf '{"sub":"admin"}' | b64url).$(printf 'x' | b64url)"
expect_refused "a forged token switching to HS256, keyed with the gateway's public key" \
  "$ztm" jws verify --jwk "$work/gateway.pub.jwk" --alg ES256 <<<"$hs_token"

# ---------------------------------------------------------------------------------------------
step "Stopping"
stop "$interceptor_pid" || true
stop "$collector_pid" || true
interceptor_pid=
collector_pid=
gateway_status=0
stop "$gateway_pid" || gateway_status=$?
gateway_pid=
if [ "$gateway_status" -eq 0 ]; then
  say "ztm-gateway stopped cleanly on SIGTERM (exit 0)"
else
  say "${red}ztm-gateway exited with $gateway_status on SIGTERM${off}"
  failures=$((failures + 1))
fi

step "Result"
if [ "$failures" -eq 0 ]; then
  say "${green}everything behaved${off}: legitimate requests accepted, every attack refused."
else
  say "${red}$failures part(s) misbehaved${off} (see above)"
  exit 1
fi
