#!/usr/bin/env bash
# nspawn-tree.sh — build (once) the Debian 12 tree the systemd test boots with systemd-nspawn -b.
# Prints the tree's path. Cached under /var/cache/vmpool-test/ and rebuilt only when absent; the
# build goes to a temporary folder renamed into place, so an interrupted build never leaves half a tree.
# Node is not installed: the test binds the host's Node 20 binary read-only.
set -euo pipefail
CACHE=/var/cache/vmpool-test
TREE="$CACHE/nspawn-bookworm-v1"
MIRROR="${VMPOOL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# systemd + journald + dbus to boot; libvirt0 (the agent's koffi binding), qemu-utils and
# genisoimage (the spawn pipeline), iproute2/procps/python3 for the steps the install script runs.
PKGS=systemd,systemd-sysv,dbus,libsystemd0,libvirt0,qemu-utils,genisoimage,iproute2,procps,ca-certificates,python3

log() { printf 'nspawn-tree: %s\n' "$*" >&2; }

if [ -x "$TREE/usr/lib/systemd/systemd" ]; then echo "$TREE"; exit 0; fi
[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
command -v debootstrap >/dev/null || {
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends debootstrap >&2
}
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.nspawn-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "debootstrap bookworm into $tmp (a few minutes, once)"
debootstrap --variant=minbase --include="$PKGS" bookworm "$tmp" "$MIRROR" >&2
# a booted container needs an identity and no getty on a console nobody reads
: >"$tmp/etc/machine-id"
echo vmpool-nspawn >"$tmp/etc/hostname"
ln -sf /dev/null "$tmp/etc/systemd/system/console-getty.service"
ln -sf /dev/null "$tmp/etc/systemd/system/getty@.service"
rm -rf "$tmp/var/cache/apt/archives/"*.deb
mv "$tmp" "$TREE"
trap - EXIT
log "tree ready at $TREE"
echo "$TREE"
