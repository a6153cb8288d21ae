#!/usr/bin/env bash
# host-deps.sh — install and start what vmpool needs on a Debian 12 host (idempotent, run as root).
# Installs libvirt + QEMU + ISO tooling with apt-get, then makes sure virtlogd and libvirtd run.
# Where systemd is PID 1 and manages libvirtd, it only asks systemd; it never starts a second daemon.
set -euo pipefail

PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system libvirt-clients
      qemu-system-x86 qemu-utils genisoimage iproute2 procps systemd util-linux python3)

log() { printf 'host-deps: %s\n' "$*" >&2; }

need_install() {
  local p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 0
  done
  return 1
}

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (apt-get and libvirtd need it)"; exit 1
fi

if need_install; then
  log "installing ${PKGS[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps maintainer scripts from trying to start services on a host without init
  if [ ! -d /run/systemd/system ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${PKGS[@]}"
  rm -f /usr/sbin/policy-rc.d
else
  log "packages already installed"
fi

# --- etcd (HA coordinator store, issue 12) ---
bash "$(dirname "$0")/etcd-deps.sh"
# --- end etcd ---
# --- operations (issue 9): debootstrap builds the systemd-nspawn test tree, prometheus + promtool
# check and scrape /metrics. systemd-container (systemd-nspawn) comes with the systemd packages. ---
OPS_PKGS=(debootstrap prometheus systemd-container)
ops_missing=()
for p in "${OPS_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || ops_missing+=("$p")
done
if [ "${#ops_missing[@]}" -gt 0 ]; then
  log "installing ${ops_missing[*]} (operations tests)"
  export DEBIAN_FRONTEND=noninteractive
  # no maintainer script may start prometheus as a service: the test runs its own on loopback
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -q --no-install-recommends "${ops_missing[@]}" || { apt-get update -q && apt-get install -y -q --no-install-recommends "${ops_missing[@]}"; }
  rm -f /usr/sbin/policy-rc.d
fi
# --- end operations ---
# --- real guests (issue 10): guest image build, SSH client for the demo and tests ---
GUEST_PKGS=(mmdebstrap fdisk e2fsprogs grub-pc-bin openssh-client)
if ! dpkg-query -W -f='${Status}\n' "${GUEST_PKGS[@]}" 2>/dev/null | grep -vq 'install ok installed' &&
   [ "$(dpkg-query -W -f='${Status}\n' "${GUEST_PKGS[@]}" 2>/dev/null | wc -l)" -eq "${#GUEST_PKGS[@]}" ]; then
  log "guest image packages already installed"
else
  log "installing ${GUEST_PKGS[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${GUEST_PKGS[@]}" ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${GUEST_PKGS[@]}"; }
fi
# --- end real guests ---
# --- ui (fleet page tests) ---
# Debian's Chromium drives the fleet page tests through playwright-core (no browser download).
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed'; then
  log "installing chromium for the fleet page tests"
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] || apt-get update -q
  apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core || { apt-get update -q && apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; }
fi
# --- end ui ---

getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
mkdir -p /var/log/libvirt/qemu /var/run/libvirt /var/lib/libvirt/images /var/lib/libvirt/boot
[ -e /dev/kvm ] && { chgrp kvm /dev/kvm; chmod 0660 /dev/kvm; } || log "no /dev/kvm: VMs will use TCG"

virsh_ok() { virsh -c qemu:///system version >/dev/null 2>&1; }

if [ -d /run/systemd/system ]; then
  log "systemd manages services here; asking it to start libvirtd"
  systemctl start virtlogd.socket libvirtd.socket libvirtd.service || true
else
  pgrep -x virtlogd >/dev/null || { log "starting virtlogd"; virtlogd -d; }
  pgrep -x libvirtd >/dev/null || { log "starting libvirtd"; libvirtd -d; }
fi

for _ in $(seq 1 60); do
  if virsh_ok; then log "libvirtd answers: $(virsh -c qemu:///system version --daemon 2>/dev/null | tr '\n' ' ')"; exit 0; fi
  sleep 0.5
done
log "libvirtd did not answer on qemu:///system within 30 s"; exit 1
