#!/usr/bin/env bash
# Builds everything and runs every test (CTest). This is the README's test command and
# exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset default
cmake --build --preset default
ctest --preset default
