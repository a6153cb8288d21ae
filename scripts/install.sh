#!/usr/bin/env bash
# install.sh — take a Debian 12 host with Node 20 at /usr/bin/node to running vmpool services.
#   bash scripts/install.sh all                       # coordinator + agent on this host
#   bash scripts/install.sh coordinator [--listen wg0:7700]
#   bash scripts/install.sh agent --coordinator-url ws://10.8.0.1:7700 --join-token-file FILE
# Idempotent: existing config and token files are kept, never overwritten. Run as root from a
# built checkout (npm ci && npm run build). docs/operations.md explains every step it takes.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX=/opt/vmpool
ETC=/etc/vmpool
UNITS=/etc/systemd/system
ROLE="${1:-}"
shift || true
LISTEN="" COORD_URL="" NODE_ID="" IMAGES_DIR=/var/lib/libvirt/images JOIN_FILE="" RESERVED="" START=yes

die() { printf 'install: %s\n' "$*" >&2; exit 1; }
say() { printf 'install: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --listen) LISTEN="$2"; shift 2 ;;
    --coordinator-url) COORD_URL="$2"; shift 2 ;;
    --node-id) NODE_ID="$2"; shift 2 ;;
    --images-dir) IMAGES_DIR="$2"; shift 2 ;;
    --host-reserved-cpus) RESERVED="$2"; shift 2 ;;
    --join-token-file) JOIN_FILE="$2"; shift 2 ;;
    --prefix) PREFIX="$2"; shift 2 ;;
    --no-start) START=no; shift ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done
case "$ROLE" in all | agent | coordinator) ;; *) die "usage: install.sh all|agent|coordinator [options]" ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root"
[ -f "$SRC/dist/coordinator/main.js" ] || die "no dist/ in $SRC: run npm ci && npm run build first"
NODE_MAJOR=$(/usr/bin/node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$NODE_MAJOR" -ge 20 ] || die "/usr/bin/node must be Node 20 or newer (found: ${NODE_MAJOR})"

# Tokens: 43 characters of base64url from 32 random bytes; the services refuse fewer than 16.
new_token() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
token_file() { # token_file PATH [SOURCE]: keep an existing file, else copy SOURCE or generate
  if [ -s "$1" ]; then say "keeping $1"; return; fi
  install -m 0600 /dev/null "$1"
  if [ -n "${2:-}" ]; then tr -d '\n' <"$2" >"$1"; else new_token >"$1"; fi
  [ "$(wc -c <"$1")" -ge 16 ] || die "$1 holds fewer than 16 characters"
  say "wrote $1 (mode 0600)"
}
config_file() { # config_file NAME JSON: write /etc/vmpool/NAME unless it exists
  if [ -e "$ETC/$1" ]; then say "keeping $ETC/$1"; else printf '%s\n' "$2" >"$ETC/$1"; chmod 0644 "$ETC/$1"; say "wrote $ETC/$1"; fi
}

if [ "$SRC" != "$PREFIX" ]; then
  say "copying the built checkout to $PREFIX"
  install -d -m 0755 "$PREFIX"
  cp -a "$SRC/dist" "$SRC/node_modules" "$SRC/package.json" "$SRC/systemd" "$SRC/docs" "$PREFIX/"
fi
install -d -m 0755 "$ETC"

if [ "$ROLE" != agent ]; then
  if [ -z "$LISTEN" ]; then
    if ip -o addr show dev wg0 >/dev/null 2>&1; then LISTEN=wg0:7700; else
      LISTEN=127.0.0.1:7700
      say "no wg0 on this host: the coordinator listens on $LISTEN; set \"listen\" in $ETC/coordinator.json to IFACE:PORT or ADDR:PORT for agents on other hosts"
    fi
  fi
  [ -e "$ETC/bands.json" ] || install -m 0644 "$PREFIX/systemd/bands.example.json" "$ETC/bands.json"
  config_file coordinator.json "{
  \"listen\": \"$LISTEN\",
  \"dataDir\": \"/var/lib/vmpool-coordinator\",
  \"bands\": \"$ETC/bands.json\"
}"
  token_file "$ETC/admin-token"
  token_file "$ETC/join-token"
  token_file "$ETC/audit-key" # the audit chain's HMAC key (32+ bytes), never in the data dir
  install -m 0644 "$PREFIX/systemd/vmpool-coordinator.service" "$UNITS/"
  [ -e "$ETC/coordinator.env" ] || install -m 0600 "$PREFIX/systemd/coordinator.env.example" "$ETC/coordinator.env"
fi

if [ "$ROLE" != coordinator ]; then
  if [ -z "$COORD_URL" ]; then
    [ "$ROLE" = all ] || die "agent: give --coordinator-url ws://ADDR:PORT"
    COORD_URL="ws://$(printf '%s' "${LISTEN/wg0/$(ip -o -4 addr show dev wg0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)}")"
  fi
  [ "$ROLE" = all ] || [ -n "$JOIN_FILE" ] || [ -s "$ETC/join-token" ] ||
    die "agent: give --join-token-file FILE (a copy of the coordinator's $ETC/join-token)"
  token_file "$ETC/join-token" "$JOIN_FILE"
  # 0711: QEMU (libvirt-qemu) must traverse the images dir, but not list it
  install -d -m 0711 "$IMAGES_DIR" "$IMAGES_DIR/base"
  config_file agent.json "{
  \"coordinator\": \"$COORD_URL\",
  \"nodeId\": \"${NODE_ID:-$(hostname -s)}\",
  \"reserved\": false,
  \"hostReservedCpus\": \"${RESERVED}\",
  \"imagesDir\": \"$IMAGES_DIR\",
  \"libvirtUri\": \"qemu:///system\",
  \"sysfsRoot\": \"/\"
}"
  install -m 0644 "$PREFIX/systemd/vmpool-agent.service" "$UNITS/"
  [ -e "$ETC/agent.env" ] || install -m 0600 "$PREFIX/systemd/agent.env.example" "$ETC/agent.env"
fi

systemctl daemon-reload
units=()
[ "$ROLE" != agent ] && units+=(vmpool-coordinator.service)
[ "$ROLE" != coordinator ] && units+=(vmpool-agent.service)
systemctl enable "${units[@]}"
if [ "$START" = yes ]; then
  # Type=notify: each start returns once the service sent READY=1
  systemctl start "${units[@]}"
  systemctl --no-pager status "${units[@]}" | grep -E '^\S|Status:' >&2 || true
fi
say "done: ${units[*]} enabled; journalctl -u vmpool-coordinator -u vmpool-agent -f"
