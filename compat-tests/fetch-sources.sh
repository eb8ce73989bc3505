#!/usr/bin/env bash
# Fetches the librdkafka sources whose test suites compat-tests/ runs against Fjord:
#   2.0.2  - the version Debian bookworm ships (apt-get source librdkafka)
#   2.15.1 - bundled in the npm package @confluentinc/kafka-javascript@1.10.1 (KIP-848, KIP-932)
# Idempotent: a version already unpacked in the cache is left alone. The cache lives outside
# the checkout: ${FJORD_COMPAT_CACHE:-$HOME/.cache/fjord-compat}/src/librdkafka-VERSION.
#
# Usage: compat-tests/fetch-sources.sh [2.0.2] [2.15.1]   (default: both)
set -euo pipefail
CACHE=${FJORD_COMPAT_CACHE:-$HOME/.cache/fjord-compat}
SRC=$CACHE/src
mkdir -p "$SRC"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

apt_source_files() {
  ls /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null || true
}

have_deb_src() {
  # shellcheck disable=SC2046
  grep -qsE '^(deb-src|Types:.*deb-src)' $(apt_source_files) /dev/null
}

# Adds a deb-src entry mirroring the configured Debian mirror, then refreshes the lists.
ensure_deb_src() {
  have_deb_src && return 0
  local mirror codename
  # shellcheck disable=SC2046
  mirror=$(grep -hsE '^(URIs:|deb )' $(apt_source_files) /dev/null |
           grep -oE 'https?://[^ ]*/debian/?( |$)' | head -n1 | tr -d ' ' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  # apt refuses two entries for one mirror with different keys: reuse the configured key.
  local key
  # shellcheck disable=SC2046
  key=$(grep -hsE '^Signed-By: */' $(apt_source_files) /dev/null | head -n1 |
         sed -E "s/^Signed-By: *//" || true)
  key=${key:-/usr/share/keyrings/debian-archive-keyring.gpg}
  echo "fetch-sources: adding deb-src $mirror $codename main" >&2
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
    "$mirror" "$codename" "$key" |
    $SUDO tee /etc/apt/sources.list.d/fjord-deb-src.sources >/dev/null
}

# The source index may be missing (entry just added, or lists refreshed without it).
ensure_source_index() {
  apt-cache showsrc librdkafka 2>/dev/null | grep -q '^Package:' && return 0
  $SUDO apt-get update -qq
}

fetch_2_0_2() {
  local dest=$SRC/librdkafka-2.0.2
  [ -f "$dest/configure" ] && return 0
  command -v dpkg-source >/dev/null || $SUDO apt-get install -y -qq dpkg-dev >/dev/null
  ensure_deb_src
  ensure_source_index
  local tmp; tmp=$(mktemp -d "$SRC/.apt.XXXXXX")
  chmod 755 "$tmp"  # apt-get source downloads as the _apt user when it can read the dir
  (cd "$tmp" && apt-get source -qq librdkafka >/dev/null)
  local dir; dir=$(find "$tmp" -maxdepth 1 -type d -name 'librdkafka-*' | head -n1)
  [ -n "$dir" ] || { echo "fetch-sources: apt-get source produced no tree" >&2; exit 1; }
  grep -q 'RD_KAFKA_VERSION  *0x020002' "$dir/src/rdkafka.h" ||
    echo "fetch-sources: warning: Debian source is not 2.0.2: $(grep -m1 'define RD_KAFKA_VERSION ' "$dir/src/rdkafka.h")" >&2
  mv "$dir" "$dest"
  rm -rf "$tmp"
}

fetch_2_15_1() {
  local dest=$SRC/librdkafka-2.15.1
  [ -f "$dest/configure" ] && return 0
  # nodejs (Debian's, or one that bundles npm) provides the npm client.
  command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  local tmp; tmp=$(mktemp -d "$SRC/.npm.XXXXXX")
  (cd "$tmp" && npm pack --silent @confluentinc/kafka-javascript@1.10.1 >/dev/null)
  tar -xzf "$tmp"/confluentinc-kafka-javascript-1.10.1.tgz -C "$tmp"
  [ -f "$tmp/package/deps/librdkafka/configure" ] ||
    { echo "fetch-sources: npm package has no deps/librdkafka" >&2; exit 1; }
  mv "$tmp/package/deps/librdkafka" "$dest"
  chmod +x "$dest/configure" "$dest"/mklove/modules/* "$dest"/packaging/tools/*.sh 2>/dev/null || true
  rm -rf "$tmp"
}

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(2.0.2 2.15.1)
for v in "${versions[@]}"; do
  case $v in
    2.0.2) fetch_2_0_2 ;;
    2.15.1) fetch_2_15_1 ;;
    *) echo "fetch-sources: unknown version $v (2.0.2 or 2.15.1)" >&2; exit 2 ;;
  esac
  echo "$SRC/librdkafka-$v"
done
