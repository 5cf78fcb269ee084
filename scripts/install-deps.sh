#!/usr/bin/env bash
# Installs every Debian package ztm needs to build and test. Idempotent: safe to run again.
# Runs apt-get as root directly, or through sudo when started by another user.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format git
  # libraries (reasons in docs/architecture.md)
  libssl-dev openssl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcli11-dev
  # ztm-gateway
  libsqlite3-dev sqlite3 libsodium-dev libyaml-cpp-dev
  # libztm (client): SQLCipher, libcurl, the kernel keyring; libcbor (App Attest)
  libsqlcipher-dev libcurl4-openssl-dev libkeyutils-dev libcbor-dev
  # tests and benchmarks (python3-cryptography: the independent client of the end-to-end tests)
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-cryptography curl
)

as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
