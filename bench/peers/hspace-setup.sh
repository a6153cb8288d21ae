#!/usr/bin/env bash
# Bench-only: installs Ganeti's htools (hspace) for `npm run bench -- placement --peer hspace`.
# Not part of scripts/host-deps.sh: CI never runs the hspace peer and must not pay for it.
# Idempotent: does nothing when hspace is already on PATH.
set -euo pipefail

# Debian puts it under /usr/lib/ganeti/<version>/usr/bin, off PATH; the bench looks there too.
find_hspace() {
  command -v hspace 2>/dev/null || ls -1 /usr/lib/ganeti/*/usr/bin/hspace 2>/dev/null | tail -n 1
}
if [ -n "$(find_hspace)" ]; then
  echo "hspace present: $(find_hspace)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "hspace-setup: apt-get not found; install Ganeti htools (package ganeti-htools-3.0) by hand" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show ganeti-htools-3.0 >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update -qq
fi
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends ganeti-htools-3.0
[ -n "$(find_hspace)" ] || { echo "hspace-setup: no hspace after installing ganeti-htools-3.0" >&2; exit 1; }
echo "hspace installed: $(find_hspace)"
