#!/usr/bin/env bash
# etcd-deps.sh — install Debian's etcd server and client for the HA tests (idempotent, run as root).
# Called by host-deps.sh. It never starts etcd: the tests start their own members on loopback ports.
set -euo pipefail

log() { printf 'etcd-deps: %s\n' "$*" >&2; }

if command -v etcd >/dev/null && command -v etcdctl >/dev/null; then
  log "etcd already installed: $(etcd --version 2>/dev/null | head -1)"
  exit 0
fi
log "installing etcd-server etcd-client"
export DEBIAN_FRONTEND=noninteractive
# the package's maintainer scripts must not start a system etcd (policy-rc.d 101 = "do not start")
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends etcd-server etcd-client \
  || { apt-get update -q -o DPkg::Lock::Timeout=300 \
       && apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends etcd-server etcd-client; }
log "etcd installed: $(etcd --version | head -1)"
