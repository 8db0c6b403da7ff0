#!/usr/bin/env bash
# Makes sure the Debian packages the test suites drive as real peers are installed. As root with apt-get
# it installs what is missing; otherwise it names the command to run. Idempotent and quiet when all is there.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v baresip >/dev/null 2>&1 || missing+=(baresip-core)
command -v linphonec >/dev/null 2>&1 || missing+=(linphone-cli)
command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v prosody >/dev/null 2>&1 || missing+=(prosody lua-unbound)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing test peers: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "the tests need these Debian packages: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
