#!/usr/bin/env bash
# build-guest-image.sh OUT.qcow2 — build a small bootable Debian 12 cloud image from Debian packages only.
#
# mmdebstrap (linux-image-cloud-amd64, cloud-init, openssh-server, qemu-guest-agent) into a directory, then a
# partitioned raw file (sfdisk), `mkfs.ext4 -d` at the partition's offset, GRUB's boot.img + core.img (with an
# embedded config) written with dd, and `qemu-img convert -c`. No loop mounts, no libguestfs, nothing fetched
# outside the Debian archive configured in apt. Cached under $VMPOOL_IMAGE_CACHE (default
# /var/cache/vmpool-test/guest-image) keyed by this script's hash: a second run copies the cached file at once.
# Needs root and: mmdebstrap fdisk e2fsprogs grub-pc-bin qemu-utils (scripts/host-deps.sh installs them).
set -euo pipefail

OUT=${1:?usage: build-guest-image.sh OUT.qcow2}
SUITE=${VMPOOL_IMAGE_SUITE:-bookworm}
MIRROR=${VMPOOL_IMAGE_MIRROR:-http://deb.debian.org/debian}
CACHE=${VMPOOL_IMAGE_CACHE:-/var/cache/vmpool-test/guest-image}
VIRTUAL_MIB=2048
PART_START=2048 # sectors (1 MiB): room for GRUB's core.img before the partition

log() { printf 'build-guest-image: %s\n' "$*" >&2; }

KEY=$( (sha256sum "$0" | cut -c1-16; echo "$SUITE $MIRROR") | sha256sum | cut -c1-16)
CACHED="$CACHE/debian-$SUITE-$KEY.qcow2"
if [ -s "$CACHED" ]; then
  [ "$(realpath -m "$OUT")" = "$(realpath -m "$CACHED")" ] || cp --reflink=auto "$CACHED" "$OUT"
  log "cached image $CACHED"; echo "$OUT"; exit 0
fi
[ "$(id -u)" -eq 0 ] || { log "must run as root (mmdebstrap in root mode)"; exit 1; }

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/root"
start=$(date +%s)

log "mmdebstrap $SUITE into $ROOT"
mmdebstrap --variant=apt --components=main --quiet \
  --include=linux-image-cloud-amd64,systemd-sysv,cloud-init,openssh-server,qemu-guest-agent,sudo,ifupdown,isc-dhcp-client,cloud-guest-utils,fdisk \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  "$SUITE" "$ROOT" "$MIRROR"

log "configuring the root file system"
KVER=$(basename "$(ls -d "$ROOT"/lib/modules/* | sort | tail -1)")
printf 'LABEL=root / ext4 defaults,errors=remount-ro 0 1\n' >"$ROOT/etc/fstab"
printf 'auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n' >"$ROOT/etc/network/interfaces"
: >"$ROOT/etc/machine-id"; rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT"/etc/ssh/ssh_host_*
: >"$ROOT/etc/hostname"
cat >"$ROOT/etc/cloud/cloud.cfg.d/90-vmpool.cfg" <<'EOF'
# vmpool guest image: NoCloud seed only, no network metadata probing
datasource_list: [ NoCloud, None ]
# the image has no `locales` package: only C.UTF-8 exists, and cloud-init's default en_US.UTF-8 makes
# update-locale fail, which leaves `cloud-init status` at "error" (found by the agent's readiness check)
locale: C.UTF-8
EOF
ln -sf /lib/systemd/system/serial-getty@.service "$ROOT/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/log/*.log
mkdir -p "$ROOT/boot/grub"
cat >"$ROOT/boot/grub/grub.cfg" <<EOF
set timeout=0
linux /boot/vmlinuz-$KVER root=LABEL=root ro console=tty0 console=ttyS0,115200n8
initrd /boot/initrd.img-$KVER
boot
EOF

log "partitioned raw disk with ext4 at sector $PART_START"
RAW="$WORK/disk.raw"
truncate -s "${VIRTUAL_MIB}M" "$RAW"
printf 'label: dos\nstart=%s, type=83, bootable\n' "$PART_START" | sfdisk --quiet "$RAW"
PART_KIB=$(( VIRTUAL_MIB * 1024 - PART_START / 2 ))
mkfs.ext4 -q -F -L root -d "$ROOT" -E offset=$(( PART_START * 512 )) "$RAW" "${PART_KIB}k"

log "GRUB boot.img + core.img"
cat >"$WORK/embed.cfg" <<'EOF'
set root=(hd0,msdos1)
set prefix=(hd0,msdos1)/boot/grub
configfile /boot/grub/grub.cfg
EOF
grub-mkimage -O i386-pc -o "$WORK/core.img" -c "$WORK/embed.cfg" -p '(hd0,msdos1)/boot/grub' \
  biosdisk part_msdos ext2 linux normal configfile boot
[ "$(stat -c %s "$WORK/core.img")" -lt $(( (PART_START - 1) * 512 )) ] || { log "core.img too large"; exit 1; }
dd if=/usr/lib/grub/i386-pc/boot.img of="$RAW" bs=440 count=1 conv=notrunc status=none
dd if="$WORK/core.img" of="$RAW" bs=512 seek=1 conv=notrunc status=none

log "qemu-img convert -c"
qemu-img convert -c -f raw -O qcow2 "$RAW" "$WORK/out.qcow2"
mv "$WORK/out.qcow2" "$CACHED"
log "built $CACHED in $(( $(date +%s) - start )) s, $(( $(stat -c %s "$CACHED") / 1048576 )) MiB"
[ "$(realpath -m "$OUT")" = "$(realpath -m "$CACHED")" ] || cp --reflink=auto "$CACHED" "$OUT"
echo "$OUT"
