#!/usr/bin/env bash
# ztm's main job at this stage: build, then walk through one protected API call and the
# attacks it refuses, using the core protocol library through the `ztm` command line.
# (When ztm-gateway and libztm land, this runs the gateway and the demo client instead.)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--no-build" ]; then
  bash scripts/install-deps.sh >/dev/null
  cmake --preset default >/dev/null
  cmake --build --preset default --target ztm >/dev/null
fi
ztm="${ZTM_BIN:-./build/default/src/cli/ztm}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bold=$'\e[1m'; green=$'\e[32m'; red=$'\e[31m'; off=$'\e[0m'
[ -t 1 ] || { bold=; green=; red=; off=; }
step() { printf '\n%s== %s%s\n' "$bold" "$1" "$off"; }
say() { printf '   %s\n' "$1"; }
failures=0
# expect_ok DESCRIPTION CMD...: the check must pass.
expect_ok() {
  local what=$1; shift
  if out=$("$@" 2>&1); then
    printf '   %sACCEPTED%s %s\n' "$green" "$off" "$what"
  else
    printf '   %sUNEXPECTED REFUSAL%s %s: %s\n' "$red" "$off" "$what" "$out"; failures=$((failures + 1))
  fi
}
# expect_refused DESCRIPTION CMD...: the check must fail with exit code 1 and a reason.
expect_refused() {
  local what=$1; shift
  local status=0
  out=$("$@" 2>&1) || status=$?
  if [ "$status" -eq 1 ]; then
    printf '   %sREFUSED%s  %s\n            why: %s\n' "$green" "$off" "$what" "${out#ztm: }"
  else
    printf '   %sNOT REFUSED (exit %s)%s %s\n' "$red" "$status" "$off" "$what"; failures=$((failures + 1))
  fi
}
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

now=$(date +%s)
url=https://api.example.com/v1/orders
body='{"item":42,"quantity":1}'

step "1. The device creates its key (P-256; on a phone it never leaves the secure hardware)"
"$ztm" jwk generate --kty EC >"$work/device.jwk"
"$ztm" jwk pem "$work/device.jwk" >"$work/device.key"
"$ztm" jwk pem --public "$work/device.jwk" >"$work/device.pub"
jkt=$("$ztm" jwk thumbprint "$work/device.jwk")
say "device key thumbprint (RFC 7638), bound into every token as cnf.jkt: $jkt"
access_token="eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImNuZiI6eyJqa3QiOiJkZW1vIn19.c2lnbmF0dXJl"
say "the gateway issued the app a short-lived access token bound to that key"

step "2. The app calls POST $url with a DPoP proof (RFC 9449)"
"$ztm" dpop create --jwk "$work/device.jwk" --htm POST --htu "$url" \
  --access-token "$access_token" --now "$now" >"$work/proof"
say "proof: $(cut -c1-60 "$work/proof")..."
expect_ok "DPoP proof for POST $url, bound to the access token (ath) and key $jkt" \
  "$ztm" dpop verify --htm POST --htu "$url" --access-token "$access_token" --jkt "$jkt" \
  --now "$now" <"$work/proof"

step "3. ...and signs the request itself (RFC 9421 over method, URI, body digest, token)"
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
sed 's/^/   | /' "$work/signature-lines" | cut -c1-110
expect_ok "RFC 9421 signature by the device key over the request" \
  "$ztm" httpsig verify --request "$work/signed.http" --key "$work/device.pub" --now "$now" \
  --require @method --require @target-uri --require content-digest --require authorization

step "4. Attacks"
sed "s/\"quantity\":1/\"quantity\":9/" "$work/signed.http" >"$work/tampered.http"
expect_refused "a proxy changes the body (quantity 1 -> 9)" \
  "$ztm" httpsig verify --request "$work/tampered.http" --key "$work/device.pub" --now "$now"

new_digest="sha-256=:$(printf '%s' "${body/\"quantity\":1/\"quantity\":9}" | openssl dgst -sha256 -binary | base64 -w0):"
sed "s#^Content-Digest: .*#Content-Digest: $new_digest#" "$work/tampered.http" >"$work/redigested.http"
expect_refused "...and recomputes Content-Digest to match (the signature covers the digest)" \
  "$ztm" httpsig verify --request "$work/redigested.http" --key "$work/device.pub" --now "$now"

sed "s#^POST /v1/orders#POST /v1/transfers#" "$work/signed.http" >"$work/retargeted.http"
expect_refused "the signed request is replayed against another endpoint" \
  "$ztm" httpsig verify --request "$work/retargeted.http" --key "$work/device.pub" --now "$now"

expect_refused "the DPoP proof is replayed against another URL" \
  "$ztm" dpop verify --htm POST --htu https://api.example.com/v1/transfers \
  --access-token "$access_token" --now "$now" <"$work/proof"

expect_refused "a stolen proof is presented with another access token" \
  "$ztm" dpop verify --htm POST --htu "$url" --access-token "eyJ.other.token" --now "$now" \
  <"$work/proof"

expect_refused "the proof is replayed ten minutes later" \
  "$ztm" dpop verify --htm POST --htu "$url" --access-token "$access_token" \
  --now $((now + 600)) <"$work/proof"

"$ztm" jwk generate --kty EC >"$work/attacker.jwk"
"$ztm" dpop create --jwk "$work/attacker.jwk" --htm POST --htu "$url" \
  --access-token "$access_token" --now "$now" >"$work/attacker-proof"
expect_refused "an attacker signs a proof with their own key for the stolen token" \
  "$ztm" dpop verify --htm POST --htu "$url" --access-token "$access_token" --jkt "$jkt" \
  --now "$now" <"$work/attacker-proof"

"$ztm" jwk generate --kty EC >"$work/gateway.jwk"
sed -E 's/,"d":"[^"]*"|"d":"[^"]*",//' "$work/gateway.jwk" >"$work/gateway.pub.jwk"
none_token="$(printf '{"alg":"none"}' | b64url).$(printf '{"sub":"admin"}' | b64url)."
expect_refused "a forged access token with alg \"none\" claims to be admin" \
  "$ztm" jws verify --jwk "$work/gateway.pub.jwk" --alg ES256 <<<"$none_token"

hs_token="$(printf '{"alg":"HS256"}' | b64url).$(printf '{"sub":"admin"}' | b64url).$(printf 'x' | b64url)"
expect_refused "a forged token switches to HS256, keyed with the gateway's public key" \
  "$ztm" jws verify --jwk "$work/gateway.pub.jwk" --alg ES256 <<<"$hs_token"

step "Summary"
if [ "$failures" -eq 0 ]; then
  say "every legitimate check was accepted and every attack was refused, each with its reason."
  say "Next: ztm-gateway (issue #3) and libztm with certificate pinning (issue #4) run this"
  say "flow over real TLS between a client and a gateway."
else
  say "${red}$failures check(s) did not behave as expected${off}"
  exit 1
fi
