import { z } from 'zod';
import {
  boolOption,
  choiceOption,
  numberOption,
  optionalSecret,
  positive,
  secretOption,
  textOption,
} from '../shared/config-options.js';

const TOKEN_LENGTH = 16;

const token = () =>
  z.string({ error: 'expected a string' }).min(TOKEN_LENGTH, `expected ${TOKEN_LENGTH} or more characters`);

/**
 * CoordinatorConfigSchema is the coordinator's process interface: every setting with its --flag,
 * VMPOOL_* variable and --config key (the flag in camelCase); tokens only from the environment.
 */
export const CoordinatorConfigSchema = z
  .object({
    listen: textOption(
      { env: 'VMPOOL_LISTEN', help: 'ADDR:PORT or IFACE:PORT to bind (e.g. wg0:7700)' },
      '127.0.0.1:7700',
    ),
    'listen-all': boolOption({
      env: 'VMPOOL_LISTEN_ALL',
      help: 'allow a wildcard listen address such as 0.0.0.0:7700',
    }),
    'data-dir': textOption(
      { env: 'VMPOOL_DATA_DIR', help: 'state directory (state.json, audit.log)' },
      '/var/lib/vmpool-coordinator',
    ),
    bands: textOption({ env: 'VMPOOL_BANDS', help: 'VMID bands JSON file (default: one band 100-999999)' }),
    ranking: choiceOption(
      { env: 'VMPOOL_RANKING', help: 'placement ranking: pack or spread' },
      ['pack', 'spread'],
      'pack',
    ),
    'cpu-overcommit': numberOption(
      { env: 'VMPOOL_CPU_OVERCOMMIT', help: 'shared vCPUs per shared host thread' },
      4,
      positive(),
    ),
    'min-heartbeat-ms': numberOption(
      { env: 'VMPOOL_MIN_HEARTBEAT_MS', help: 'smallest heartbeat interval handed to agents' },
      5000,
      positive(),
    ),
    'max-heartbeats-per-second': numberOption(
      { env: 'VMPOOL_MAX_HEARTBEATS_PER_SECOND', help: 'fleet-wide heartbeat rate cap' },
      50,
      positive(),
    ),
    'missed-heartbeats': numberOption(
      { env: 'VMPOOL_MISSED_HEARTBEATS', help: 'silent intervals before a node is down' },
      3,
      positive(),
    ),
    'audit-key-file': textOption({
      env: 'VMPOOL_AUDIT_KEY_FILE',
      help: 'HMAC key for the audit chain, 32+ bytes, outside the data dir (default: <data-dir>.audit-key, created)',
    }),
    'audit-max-bytes': numberOption(
      {
        env: 'VMPOOL_AUDIT_MAX_BYTES',
        help: 'rotate the audit log into a new segment at this size; the chain runs on across files (0: never)',
      },
      64 * 1024 * 1024,
      z.number().int().min(0),
    ),
    'audit-keep-segments': numberOption(
      {
        env: 'VMPOOL_AUDIT_KEEP_SEGMENTS',
        help: 'rotated audit segments kept; older ones are deleted behind a MACed anchor',
      },
      8,
      z.number().int().min(1),
    ),
    'max-connections': numberOption(
      { env: 'VMPOOL_MAX_CONNECTIONS', help: 'open HTTP connections accepted at once (agents included)' },
      1024,
      positive(),
    ),
    'rate-limit-per-second': numberOption(
      {
        env: 'VMPOOL_RATE_LIMIT_PER_SECOND',
        help: 'API requests per second per token (burst: twice that); over it answers 429 with Retry-After',
      },
      100,
      positive(),
    ),
    'agent-max-message-bytes': numberOption(
      {
        env: 'VMPOOL_AGENT_MAX_MESSAGE_BYTES',
        help: 'largest agent message; a bigger frame closes that agent socket with 1009',
      },
      4 * 1024 * 1024,
      positive(),
    ),
    'admin-token': secretOption(
      { env: 'VMPOOL_ADMIN_TOKEN', help: 'admin bearer token, 16+ characters' },
      token(),
    ),
    'join-token': secretOption(
      { env: 'VMPOOL_JOIN_TOKEN', help: 'token agents join with, 16+ characters' },
      token(),
    ),
    // --- HA: etcd store and leader election (docs/ha.md) ---
    store: choiceOption(
      {
        env: 'VMPOOL_STORE',
        help: 'state backend: lowdb (one JSON file in --data-dir) or etcd (shared, HA)',
      },
      ['lowdb', 'etcd'],
      'lowdb',
    ),
    'etcd-endpoints': textOption({
      env: 'VMPOOL_ETCD_ENDPOINTS',
      help: 'etcd client URLs, comma-separated (--store etcd), e.g. https://10.8.0.1:2379,https://10.8.0.2:2379',
    }),
    'etcd-prefix': textOption(
      { env: 'VMPOOL_ETCD_PREFIX', help: 'key prefix of this pool in etcd' },
      '/vmpool',
    ),
    'etcd-ca': textOption({ env: 'VMPOOL_ETCD_CA', help: 'CA certificate file for etcd TLS' }),
    'etcd-cert': textOption({ env: 'VMPOOL_ETCD_CERT', help: 'client certificate file for etcd mutual TLS' }),
    'etcd-key': textOption({ env: 'VMPOOL_ETCD_KEY', help: 'client key file for etcd mutual TLS' }),
    'etcd-user': textOption({
      env: 'VMPOOL_ETCD_USER',
      help: 'etcd user (password in VMPOOL_ETCD_PASSWORD)',
    }),
    'etcd-password': optionalSecret({ env: 'VMPOOL_ETCD_PASSWORD', help: 'etcd password' }),
    'etcd-timeout-ms': numberOption(
      {
        env: 'VMPOOL_ETCD_TIMEOUT_MS',
        help: 'bound on every etcd call; past it a write answers 503 no_quorum',
      },
      3000,
      positive(),
    ),
    'advertise-url': textOption({
      env: 'VMPOOL_ADVERTISE_URL',
      help: 'base URL other coordinators and agents reach this one at (default http://LISTEN)',
    }),
    'coordinator-id': textOption({
      env: 'VMPOOL_COORDINATOR_ID',
      help: "this coordinator's name in the cluster (default HOSTNAME-PORT)",
    }),
    'leader-ttl': numberOption(
      {
        env: 'VMPOOL_LEADER_TTL',
        help: 'leader lease in seconds: a dead leader is replaced within about this',
      },
      2,
      positive(),
    ),
    'broker-token': optionalSecret({
      env: 'VMPOOL_BROKER_TOKEN',
      help: 'vmpool-broker credential for POST /v1/tokens/introspect (unset: introspection off)',
    }),
  })
  .strict();

/** CoordinatorConfig is the coordinator's validated settings, keyed by flag name. */
export type CoordinatorConfig = z.output<typeof CoordinatorConfigSchema>;

/** COORDINATOR_USAGE heads `vmpool-coordinator --help`. */
export const COORDINATOR_USAGE = `Usage: vmpool-coordinator [options]

Runs the vmpool coordinator: HTTP API on /v1, agent WebSocket on /v1/agents/connect.
Tokens come from the environment: VMPOOL_ADMIN_TOKEN and VMPOOL_JOIN_TOKEN
(or VMPOOL_ADMIN_TOKEN_FILE / VMPOOL_JOIN_TOKEN_FILE naming files that hold them).`;
