#!/usr/bin/env bash
# demo.sh — vmpool's main job on one machine, from a fresh checkout:
#   installs libvirt/QEMU (scripts/host-deps.sh), npm ci + build, starts a coordinator and one agent
#   on this host, builds (or reuses) a Debian 12 cloud image, creates a tenant, spawns a real NUMA-pinned
#   VM through the HTTP API (vmpoolctl) with an ed25519 key it generates, and logs into the VM over SSH.
# The services keep running afterwards; `bash scripts/demo.sh stop` destroys the VM and stops them.
# Needs root (libvirt's qemu:///system); falls back to libvirt's test:///default driver, saying so,
# when libvirtd cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO=${VMPOOL_DEMO_DIR:-/var/lib/vmpool-demo}
PORT=${VMPOOL_DEMO_PORT:-7700}
URL="http://127.0.0.1:$PORT"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then echo "demo.sh: run as root (libvirt qemu:///system needs it): sudo bash scripts/demo.sh" >&2; exit 1; fi

stop_all() {
  if [ -f "$DEMO/tenant.token" ]; then
    for id in $(VMPOOL_URL=$URL VMPOOL_TOKEN=$(cat "$DEMO/tenant.token") node dist/ctl/main.js list --json 2>/dev/null | python3 -c 'import json,sys; print(" ".join(v["id"] for v in json.load(sys.stdin)["vms"]))' 2>/dev/null); do
      VMPOOL_URL=$URL VMPOOL_TOKEN=$(cat "$DEMO/tenant.token") node dist/ctl/main.js destroy "$id" || true
    done
  fi
  for p in agent coordinator; do
    [ -f "$DEMO/$p.pid" ] && kill "$(cat "$DEMO/$p.pid")" 2>/dev/null || true
    rm -f "$DEMO/$p.pid"
  done
  rm -f "$DEMO/tenant.token"
}

if [ "${1:-}" = "stop" ]; then stop_all; echo "demo stopped"; exit 0; fi

say "1/5 host dependencies (apt-get: libvirt, QEMU, genisoimage) and libvirtd"
bash scripts/host-deps.sh || echo "demo.sh: host-deps failed; continuing with libvirt's test driver if needed" >&2

say "2/5 npm ci and build"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent

mkdir -p "$DEMO/images/base" "$DEMO/coordinator"
chmod 0755 "$DEMO" "$DEMO/images" "$DEMO/images/base"
stop_all >/dev/null 2>&1 || true
# the guest image: Debian 12 from Debian packages (about 2 min the first time, cached after)
bash scripts/build-guest-image.sh "$DEMO/images/base/debian12.qcow2" >/dev/null
[ -f "$DEMO/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C demo@vmpool -f "$DEMO/id_ed25519"

URI=qemu:///system
PIN_SOURCE=api
if ! virsh -c "$URI" version >/dev/null 2>&1; then
  URI=test:///default
  PIN_SOURCE=xml # the test driver reports empty pin affinity; the agent reads pins from the domain XML
  echo "demo.sh: libvirtd is not reachable on qemu:///system; using libvirt's in-process test driver ($URI): the VM is simulated" >&2
fi

[ -f "$DEMO/admin.token" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$DEMO/admin.token"
[ -f "$DEMO/join.token" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$DEMO/join.token"
chmod 0600 "$DEMO/admin.token" "$DEMO/join.token"
export VMPOOL_ADMIN_TOKEN_FILE=$DEMO/admin.token VMPOOL_JOIN_TOKEN_FILE=$DEMO/join.token VMPOOL_URL=$URL

say "3/5 coordinator on $URL and agent on this host ($URI)"
# the node flags are COORDINATOR_NODE_FLAGS (coordinator/node-flags.ts)
nohup node --max-semi-space-size=16 dist/coordinator/main.js --listen "127.0.0.1:$PORT" --data-dir "$DEMO/coordinator" >"$DEMO/coordinator.log" 2>&1 &
echo $! >"$DEMO/coordinator.pid"
for _ in $(seq 1 50); do curl -fs "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
# the node flags are AGENT_NODE_FLAGS (agent/node-flags.ts): a smaller idle footprint
nohup node --max-semi-space-size=1 --v8-pool-size=1 --jitless --no-expose-wasm dist/agent/main.js run --coordinator "$URL" --node-id "$(hostname)" --images-dir "$DEMO/images" \
  --libvirt-uri "$URI" --pin-source "$PIN_SOURCE" --user-network --shutdown-timeout-ms 2000 >"$DEMO/agent.log" 2>&1 &
echo $! >"$DEMO/agent.pid"
export VMPOOL_TOKEN_FILE=$DEMO/admin.token
for _ in $(seq 1 50); do node dist/ctl/main.js nodes --json 2>/dev/null | grep -q '"state": *"ready"' && break; sleep 0.2; done
node dist/ctl/main.js nodes

say "4/5 tenant and VM (POST /v1/vms through vmpoolctl)"
# a rerun finds the tenant from the last run: only its token's hash is stored, so rotate it for a new token
if node dist/ctl/main.js tenants show demo >/dev/null 2>&1; then
  echo "tenant demo exists: rotating its token (vmpoolctl tenants rotate-token)" >&2
  node dist/ctl/main.js tenants rotate-token demo --grace-s 0 --json
else
  node dist/ctl/main.js tenants create --name demo --vcpus 8 --memory-mb 8192 --vms 4 --json
fi | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$DEMO/tenant.token"
chmod 0600 "$DEMO/tenant.token"
export VMPOOL_TOKEN_FILE=$DEMO/tenant.token
VCPUS=$(( $(nproc) >= 2 ? 2 : 1 ))
node dist/ctl/main.js spawn --name demo-web --vcpus "$VCPUS" --memory-mb 512 --disk-gb 4 --image debian12 \
  --user admin --ssh-key "$(cat "$DEMO/id_ed25519.pub")"
node dist/ctl/main.js list

say "5/5 what libvirt says (virsh vcpupin / emulatorpin / numatune)"
DOMAIN=$(node dist/ctl/main.js list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["domain_name"])')
if [ "$URI" = qemu:///system ]; then
  virsh -c "$URI" vcpupin "$DOMAIN"; virsh -c "$URI" emulatorpin "$DOMAIN"; virsh -c "$URI" numatune "$DOMAIN"
  virsh -c "$URI" list
  VMID=$(node dist/ctl/main.js list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["id"])')
  node dist/ctl/main.js show "$VMID"
  SSH_PORT=$(node dist/ctl/main.js show "$VMID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["network"]["ssh"]["port"])')
  say "6/6 SSH into the VM (127.0.0.1:$SSH_PORT is forwarded to its port 22; a TCG guest takes 1-4 min to boot)"
  SSH=(ssh -i "$DEMO/id_ed25519" -p "$SSH_PORT" -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR admin@127.0.0.1)
  # cloud-init restarts sshd once while it configures the guest: wait for it to finish, then log in for real
  for _ in $(seq 1 200); do "${SSH[@]}" 'cloud-init status --wait >/dev/null 2>&1 || true' 2>/dev/null && break; sleep 3; done
  for _ in $(seq 1 10); do "${SSH[@]}" 'uname -a' && break; sleep 2; done
  echo "log in yourself: ${SSH[*]}"
fi
cat <<MSG

vmpool is running: coordinator $URL (log $DEMO/coordinator.log), agent (log $DEMO/agent.log).
Try:   VMPOOL_TOKEN_FILE=$DEMO/admin.token node dist/ctl/main.js nodes
       VMPOOL_TOKEN_FILE=$DEMO/tenant.token node dist/ctl/main.js list
Stop:  bash scripts/demo.sh stop
MSG
