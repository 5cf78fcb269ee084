#!/usr/bin/python3
"""An independent ztm client for the end-to-end tests: written from the RFCs with Python's
`cryptography` (Debian's python3-cryptography), sharing no code with ztm, so the tests show
the protocol is interoperable, not just self-consistent.

It implements RFC 7638 thumbprints, RFC 9449 DPoP proofs, RFC 9530 Content-Digest and
RFC 9421 signatures (ecdsa-p256-sha256 over @method, @target-uri, content-digest,
authorization), then runs: challenge -> register (software attestation) -> password login ->
signed API call -> refresh, printing one JSON object per step on stdout.

Usage: independent_client.py --port P --ca CA.pem --username U --password-file F --path /api/x
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DeviceKey:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    def thumbprint(self) -> str:  # RFC 7638 §3
        canonical = json.dumps({k: self.jwk[k] for k in ("crv", "kty", "x", "y")},
                               separators=(",", ":"), sort_keys=True)
        return b64url(hashlib.sha256(canonical.encode()).digest())

    def sign_raw(self, data: bytes) -> bytes:  # ECDSA P-256 SHA-256, R || S (RFC 7518 §3.4)
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def jws(self, header: dict, payload: dict) -> str:
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(payload, separators=(",", ":")).encode()))
        return signing_input + "." + b64url(self.sign_raw(signing_input.encode()))

    def dpop_proof(self, method, url, access_token=None, nonce=None) -> str:  # RFC 9449 §4.2
        parts = urllib.parse.urlsplit(url)
        claims = {"jti": b64url(os.urandom(16)), "htm": method,
                  "htu": urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
                  "iat": int(time.time())}
        if access_token is not None:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        return self.jws({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk}, claims)


def content_digest(body: bytes) -> str:  # RFC 9530 §2
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def sign_request(key: DeviceKey, keyid: str, method: str, url: str, headers: dict) -> dict:
    """RFC 9421 §3.1: returns Signature-Input and Signature for the given request."""
    components = ["@method", "@target-uri"]
    if "content-digest" in headers:
        components.append("content-digest")
    if "authorization" in headers:
        components.append("authorization")
    params = (f'({" ".join(chr(34) + c + chr(34) for c in components)})'
              f';created={int(time.time())};nonce="{b64url(os.urandom(16))}";keyid="{keyid}"')
    lines = []
    for c in components:
        if c == "@method":
            value = method
        elif c == "@target-uri":
            value = url
        else:
            value = headers[c].strip()
        lines.append(f'"{c}": {value}')
    lines.append(f'"@signature-params": {params}')
    base = "\n".join(lines).encode()
    signature = base64.b64encode(key.sign_raw(base)).decode()
    return {"signature-input": f"sig1={params}", "signature": f"sig1=:{signature}:"}


class Gateway:
    def __init__(self, port: int, ca_file: str):
        self.port = port
        self.base = f"https://localhost:{port}"
        self.context = ssl.create_default_context(cafile=ca_file)

    def request(self, method, path, headers=None, body=b""):
        connection = http.client.HTTPSConnection("localhost", self.port, context=self.context,
                                                 timeout=15)
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        result = {"status": response.status, "headers": {k.lower(): v for k, v in
                                                           response.getheaders()},
                  "body": data.decode("utf-8", "replace")}
        connection.close()
        return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--path", default="/api/hello")
    args = parser.parse_args()
    with open(args.password_file, encoding="utf-8") as f:
        password = f.read().strip()
    gw = Gateway(args.port, args.ca)
    key = DeviceKey()

    def report(step, response, **extra):
        print(json.dumps({"step": step, "status": response["status"], **extra}), flush=True)

    # 1. challenge
    r = gw.request("POST", "/v1/challenge")
    report("challenge", r)
    challenge = json.loads(r["body"])["challenge"]

    # 2. register with software attestation: the device key signs the challenge
    evidence = key.jws({"alg": "ES256", "typ": "ztm-attest+jwt"}, {"challenge": challenge})
    body = json.dumps({"public_jwk": key.jwk, "challenge": challenge,
                       "attestation": {"format": "software", "evidence": evidence}}).encode()
    r = gw.request("POST", "/v1/devices", {"content-type": "application/json"}, body)
    report("register", r)
    device_id = json.loads(r["body"])["device_id"]

    # 3. password login with DPoP
    token_url = gw.base + "/v1/token"
    form = urllib.parse.urlencode({"grant_type": "password", "username": args.username,
                                   "password": password, "device_id": device_id}).encode()
    r = gw.request("POST", "/v1/token", {"content-type": "application/x-www-form-urlencoded",
                                         "dpop": key.dpop_proof("POST", token_url)}, form)
    report("login", r)
    tokens = json.loads(r["body"])

    # 4. a signed, DPoP-bound API call with a body
    access = tokens["access_token"]
    call_body = json.dumps({"hello": "from python"}).encode()
    url = gw.base + args.path
    headers = {"authorization": "DPoP " + access, "content-type": "application/json",
               "content-digest": content_digest(call_body),
               "dpop": key.dpop_proof("POST", url, access_token=access)}
    headers.update(sign_request(key, device_id, "POST", url, headers))
    r = gw.request("POST", args.path, headers, call_body)
    report("call", r, body=r["body"])

    # 5. refresh (rotation), DPoP by the same key
    form = urllib.parse.urlencode({"grant_type": "refresh_token",
                                   "refresh_token": tokens["refresh_token"]}).encode()
    r = gw.request("POST", "/v1/token", {"content-type": "application/x-www-form-urlencoded",
                                         "dpop": key.dpop_proof("POST", token_url)}, form)
    refreshed = json.loads(r["body"]) if r["status"] == 200 else {}
    report("refresh", r, rotated=refreshed.get("refresh_token") not in (None,
                                                                          tokens["refresh_token"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
