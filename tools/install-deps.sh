#!/usr/bin/env bash
# Installs the Debian packages Fjord needs to build and test. Idempotent:
# it only calls apt-get when something is missing.
set -euo pipefail
BUILD_PKGS=(build-essential cmake ninja-build python3 pkg-config clang
  libasio-dev libssl-dev nlohmann-json3-dev doctest-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev)
TEST_PKGS=(librdkafka-dev kcat python3-kafka python3-confluent-kafka
  python3-snappy python3-lz4 python3-zstandard python3-xxhash
  dpkg-dev libsasl2-dev rapidjson-dev)  # last line: building librdkafka's suites (compat-tests/)
# The sarama and kafkajs clients of tools/capture_fixtures.sh (sarama also for
# tests/integration/test_sarama.py). npm ships inside NodeSource's
# nodejs but is a package of its own in Debian.
TEST_PKGS+=(golang-go golang-github-shopify-sarama-dev nodejs)
command -v npm >/dev/null || TEST_PKGS+=(npm)
want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${TEST_PKGS[@]}"); fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
