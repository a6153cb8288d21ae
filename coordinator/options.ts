import type { OptionSpec } from '../shared/config.js';

/** COORDINATOR_OPTIONS is the coordinator's process interface: every flag also from --config and env. */
export const COORDINATOR_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'listen',
    env: 'VMPOOL_LISTEN',
    type: 'string',
    default: '127.0.0.1:7700',
    help: 'ADDR:PORT or IFACE:PORT to bind (e.g. wg0:7700)',
  },
  {
    flag: 'listen-all',
    env: 'VMPOOL_LISTEN_ALL',
    type: 'boolean',
    default: false,
    help: 'allow a wildcard listen address such as 0.0.0.0:7700',
  },
  {
    flag: 'data-dir',
    env: 'VMPOOL_DATA_DIR',
    type: 'string',
    default: '/var/lib/vmpool-coordinator',
    help: 'state directory (state.json, audit.log)',
  },
  {
    flag: 'bands',
    env: 'VMPOOL_BANDS',
    type: 'string',
    help: 'VMID bands JSON file (default: one band 100-999999)',
  },
  {
    flag: 'ranking',
    env: 'VMPOOL_RANKING',
    type: 'string',
    default: 'pack',
    help: 'placement ranking: pack or spread',
  },
  {
    flag: 'cpu-overcommit',
    env: 'VMPOOL_CPU_OVERCOMMIT',
    type: 'string',
    default: '4',
    help: 'shared vCPUs per shared host thread',
  },
  {
    flag: 'min-heartbeat-ms',
    env: 'VMPOOL_MIN_HEARTBEAT_MS',
    type: 'string',
    default: '5000',
    help: 'smallest heartbeat interval handed to agents',
  },
  {
    flag: 'max-heartbeats-per-second',
    env: 'VMPOOL_MAX_HEARTBEATS_PER_SECOND',
    type: 'string',
    default: '50',
    help: 'fleet-wide heartbeat rate cap',
  },
  {
    flag: 'missed-heartbeats',
    env: 'VMPOOL_MISSED_HEARTBEATS',
    type: 'string',
    default: '3',
    help: 'silent intervals before a node is down',
  },
];

/** COORDINATOR_USAGE heads `vmpool-coordinator --help`. */
export const COORDINATOR_USAGE = `Usage: vmpool-coordinator [options]

Runs the vmpool coordinator: HTTP API on /v1, agent WebSocket on /v1/agents/connect.
Tokens come from the environment: VMPOOL_ADMIN_TOKEN and VMPOOL_JOIN_TOKEN
(or VMPOOL_ADMIN_TOKEN_FILE / VMPOOL_JOIN_TOKEN_FILE naming files that hold them).`;
