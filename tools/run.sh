#!/usr/bin/env bash
# Installs what is missing, builds Fjord and runs a broker on localhost:9092 with data under
# ./data. Extra arguments go to the broker (a config file, --override key=value ...).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh release >&2
exec build/server/fjord "$@"
