#!/usr/bin/env bash
# Prints the path of a Prometheus server binary for the analysis tests, providing it when it
# is missing: Debian's `prometheus` package is downloaded with apt (never installed, so no
# service starts) and unpacked into $RAMP_CACHE_DIR/prometheus/<version>/. Later runs reuse
# the cache without touching apt.
#
# Only the binary's path goes to stdout (RAMP_PROMETHEUS=$(hack/prometheus.sh)); progress and
# errors go to stderr. A RAMP_PROMETHEUS already set is printed as it is.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# lib.sh's say and stage print to stdout, which here carries only the path.
log() { say "$@" >&2; }

prom_dir="$RAMP_CACHE_DIR/prometheus"

# A binary the caller names wins (a machine without apt, or another Prometheus version).
if [ -n "${RAMP_PROMETHEUS:-}" ]; then
  [ -x "$RAMP_PROMETHEUS" ] || die "RAMP_PROMETHEUS=$RAMP_PROMETHEUS is not an executable file"
  echo "$RAMP_PROMETHEUS"
  exit 0
fi

# cached: prints the binary of the newest complete unpacking (one with its .ok stamp).
cached() {
  local stamp best
  best=$(for stamp in "$prom_dir"/*/.ok; do [ -e "$stamp" ] && printf '%s\n' "${stamp%/.ok}"; done | sort -V | tail -n 1)
  [ -n "$best" ] && [ -x "$best/usr/bin/prometheus" ] || return 1
  echo "$best/usr/bin/prometheus"
}

# Fast path: no lock, no apt.
if bin=$(cached) && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

mkdir -p "$prom_dir"
# One download at a time: a second caller waits, then finds the first one's result.
exec 9>"$prom_dir/lock"
flock 9
if bin=$(cached) && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

# apt_update: refreshes apt's package lists, as root or through sudo. Without either it goes
# on with the lists as they are (apt-get download itself needs no root).
apt_update() {
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n apt-get update -qq
  else
    log "not root and no sudo: skipping apt-get update, using apt's package lists as they are"
  fi
}

command -v apt-get >/dev/null 2>&1 || die "no Prometheus in $prom_dir and no apt-get to fetch Debian's; set RAMP_PROMETHEUS to a prometheus binary instead"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log "downloading Debian's prometheus package into $prom_dir (once; later runs reuse it)"
apt_update >&2 || die "apt-get update failed"
stage "apt-get update" >&2
# apt-get download writes into the current directory; as root it drops to the _apt user,
# which must be able to write there. Downloading needs no root, unlike installing.
chmod 777 "$tmp"
(cd "$tmp" && apt-get download -q prometheus) >&2 || die "apt-get download prometheus failed (is Debian's prometheus package in apt's lists?)"
deb=$(ls "$tmp"/prometheus_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "apt-get download left no prometheus_*.deb"
stage "downloaded $(basename "$deb")" >&2

version=$(dpkg-deb -f "$deb" Version)
dest="$prom_dir/$version"
rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
dpkg-deb -x "$deb" "$dest.tmp"
bin="$dest.tmp/usr/bin/prometheus"
[ -x "$bin" ] || die "the package $(basename "$deb") has no usr/bin/prometheus"

# A Debian binary may link shared libraries the machine lacks; say which, if so.
if command -v ldd >/dev/null 2>&1 && ldd "$bin" >/dev/null 2>&1; then
  missing=$(ldd "$bin" | grep 'not found' || true)
  [ -z "$missing" ] || die "prometheus needs shared libraries this machine lacks: $missing"
fi
"$bin" --version >&2 || die "the unpacked prometheus does not run: $bin --version failed"

mv "$dest.tmp" "$dest"
touch "$dest/.ok"
stage "unpacked prometheus $version" >&2
echo "$dest/usr/bin/prometheus"
