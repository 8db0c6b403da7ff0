#!/usr/bin/env bash
# Makes sure the Debian packages the benchmarks compare against (or drive) are installed:
#   sipp       (sip-tester)  bench:sip, bench:bfcp, bench:mixer's callers
#   kamailio   (kamailio)    bench:sip behind a front proxy
#   prosody    (prosody, lua-unbound)  bench:federation
#   janus      (janus)       bench:mixer's AudioBridge comparison
#   postgresql (postgresql)  bench:api -- --db postgres
# Usage: scripts/ensure-bench-peers.sh [peer ...]   (no argument: all of them)
# As root with apt-get it installs what is missing (Debian packages only, no recommends); otherwise it names
# the command to run and exits 1. Idempotent, and quiet when everything is already there.
set -euo pipefail

present() {
  case "$1" in
    sipp) command -v sipp >/dev/null 2>&1 ;;
    kamailio) command -v kamailio >/dev/null 2>&1 || [ -x /usr/sbin/kamailio ] ;;
    prosody) command -v prosody >/dev/null 2>&1 ;;
    janus) command -v janus >/dev/null 2>&1 && ls /usr/lib/*/janus/plugins/libjanus_audiobridge.so >/dev/null 2>&1 ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ;;
    *) echo "ensure-bench-peers: unknown peer '$1' (sipp, kamailio, prosody, janus, postgresql)" >&2; exit 2 ;;
  esac
}

packages() {
  case "$1" in
    sipp) echo sip-tester ;;
    kamailio) echo kamailio ;;
    prosody) echo prosody lua-unbound ;;
    janus) echo janus ;;
    postgresql) echo postgresql ;;
  esac
}

peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(sipp kamailio prosody janus postgresql)

missing=()
for peer in "${peers[@]}"; do
  if ! present "$peer"; then
    read -r -a pkgs <<<"$(packages "$peer")"
    missing+=("${pkgs[@]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing benchmark peers: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "the benchmarks need these Debian packages: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
