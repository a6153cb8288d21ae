#!/usr/bin/env bash
# test.sh — set up and pass the tests from a fresh checkout: host deps (libvirt, QEMU, genisoimage,
# systemd-analyze) and libvirtd, npm ci, then `npm test` (typecheck, lint, build, unit, libvirt and e2e tiers).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then echo "test.sh: run as root (real libvirtd tests need qemu:///system): sudo bash scripts/test.sh" >&2; exit 1; fi
bash scripts/host-deps.sh
npm ci --no-audit --no-fund --loglevel=error
npm test
