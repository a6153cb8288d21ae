import { z } from 'zod';
import {
  boolOption,
  choiceOption,
  numberOption,
  optionalSecret,
  positive,
  secretOption,
  textOption,
  wholeAtLeast,
} from '../shared/config-options.js';

const token = () => z.string({ error: 'expected a string' }).min(16, 'expected 16 or more characters');
const ms = (env: string, help: string, def: number) => numberOption({ env, help }, def, wholeAtLeast(1));
const count = (env: string, help: string, def: number) => numberOption({ env, help }, def, wholeAtLeast(0));

/**
 * BrokerConfigSchema is vmpool-broker's process interface: every setting with its --flag,
 * VMPOOL_BROKER_* variable and --config key; tokens only from the environment.
 */
export const BrokerConfigSchema = z
  .object({
    listen: textOption(
      { env: 'VMPOOL_BROKER_LISTEN', help: 'ADDR:PORT or IFACE:PORT to bind' },
      '127.0.0.1:7800',
    ),
    'listen-all': boolOption({ env: 'VMPOOL_BROKER_LISTEN_ALL', help: 'allow a wildcard listen address' }),
    'data-dir': textOption(
      { env: 'VMPOOL_BROKER_DATA_DIR', help: 'state directory (metering.jsonl)' },
      '/var/lib/vmpool-broker',
    ),
    upstreams: textOption({
      env: 'VMPOOL_BROKER_UPSTREAMS',
      help: 'OpenAI-compatible servers: NAME=URL[,NAME=URL…] (URL up to, not including, /v1)',
    }),
    routing: choiceOption(
      { env: 'VMPOOL_BROKER_ROUTING', help: 'upstream choice per model' },
      ['least-outstanding', 'round-robin'],
      'least-outstanding',
    ),
    'health-interval-ms': ms('VMPOOL_BROKER_HEALTH_INTERVAL_MS', 'upstream health check period', 5000),
    'upstream-timeout-ms': ms(
      'VMPOOL_BROKER_UPSTREAM_TIMEOUT_MS',
      'give up on a silent upstream after',
      120_000,
    ),
    coordinator: textOption({
      env: 'VMPOOL_BROKER_COORDINATOR',
      help: 'coordinator URL for tenant-token introspection (e.g. http://10.0.0.1:7700)',
    }),
    'introspect-cache-ms': ms(
      'VMPOOL_BROKER_INTROSPECT_CACHE_MS',
      'how long a token check is reused (revocation applies within this)',
      5000,
    ),
    'api-keys': textOption({
      env: 'VMPOOL_BROKER_API_KEYS',
      help: 'JSON file {"keys":[{"tenant":ID,"sha256":HEX}]} of per-tenant API keys (re-read on change)',
    }),
    'breaker-window-ms': ms('VMPOOL_BROKER_BREAKER_WINDOW_MS', 'rolling window of the failure rate', 10_000),
    'breaker-min-requests': count(
      'VMPOOL_BROKER_BREAKER_MIN_REQUESTS',
      'calls in the window before the rate counts',
      5,
    ),
    'breaker-failure-rate': numberOption(
      {
        env: 'VMPOOL_BROKER_BREAKER_FAILURE_RATE',
        help: 'failure (or slow) fraction that opens the circuit',
      },
      0.5,
      positive().max(1, 'expected a fraction up to 1'),
    ),
    'breaker-consecutive-failures': count(
      'VMPOOL_BROKER_BREAKER_CONSECUTIVE_FAILURES',
      'failures in a row that open the circuit (0 = off)',
      5,
    ),
    'breaker-slow-ms': ms(
      'VMPOOL_BROKER_BREAKER_SLOW_MS',
      'time to first byte counted as a slow call',
      30_000,
    ),
    'breaker-open-ms': ms('VMPOOL_BROKER_BREAKER_OPEN_MS', 'how long an open circuit rejects', 5000),
    'breaker-half-open-probes': numberOption(
      {
        env: 'VMPOOL_BROKER_BREAKER_HALF_OPEN_PROBES',
        help: 'successful probes that close a half-open circuit',
      },
      1,
      wholeAtLeast(1),
    ),
    'upstream-concurrency': numberOption(
      { env: 'VMPOOL_BROKER_UPSTREAM_CONCURRENCY', help: 'requests in flight per upstream' },
      8,
      wholeAtLeast(1),
    ),
    'tenant-concurrency': numberOption(
      { env: 'VMPOOL_BROKER_TENANT_CONCURRENCY', help: 'requests in flight per tenant' },
      8,
      wholeAtLeast(1),
    ),
    'queue-length': count('VMPOOL_BROKER_QUEUE_LENGTH', 'requests that may wait for a slot (then 503)', 16),
    'queue-wait-ms': count('VMPOOL_BROKER_QUEUE_WAIT_MS', 'longest wait for a slot (then 503)', 1000),
    'tenant-rpm': count('VMPOOL_BROKER_TENANT_RPM', 'requests per minute per tenant (0 = no limit)', 0),
    'tenant-tpm': count('VMPOOL_BROKER_TENANT_TPM', 'tokens per minute per tenant (0 = no limit)', 0),
    license: textOption(
      { env: 'VMPOOL_BROKER_LICENSE', help: 'signed license file' },
      '/etc/vmpool/broker.license',
    ),
    'license-public-key': textOption({
      env: 'VMPOOL_BROKER_LICENSE_PUBLIC_KEY',
      help: 'Ed25519 public key (PEM file) licenses are signed with',
    }),
    'license-revocations': textOption({
      env: 'VMPOOL_BROKER_LICENSE_REVOCATIONS',
      help: 'JSON file {"revoked":[LICENSE_ID…]} re-read at every check',
    }),
    'license-check-ms': ms('VMPOOL_BROKER_LICENSE_CHECK_MS', 'how often the license is re-checked', 60_000),
    'admin-token': secretOption(
      {
        env: 'VMPOOL_BROKER_ADMIN_TOKEN',
        help: 'broker admin bearer token (status, reconciliation), 16+ characters',
      },
      token(),
    ),
    'broker-token': optionalSecret({
      env: 'VMPOOL_BROKER_TOKEN',
      help: "the broker's credential for the coordinator's token introspection",
    }),
  })
  .strict();

/** BrokerConfig is the broker's validated settings, keyed by flag name. */
export type BrokerConfig = z.output<typeof BrokerConfigSchema>;

/** BROKER_USAGE heads `vmpool-broker --help`. */
export const BROKER_USAGE = `Usage: vmpool-broker [options]
       vmpool-broker license verify FILE --license-public-key PEM
       vmpool-broker license keygen DIR
       vmpool-broker license issue --private-key PEM --id ID --licensee NAME --expires ISO [--out FILE]

Brokers OpenAI-compatible inference (/v1/chat/completions, /v1/completions, /v1/models) to the
SLM upstreams, with per-upstream circuit breakers, an admission gate, durable per-tenant metering
(/v1/billing/reconciliation, /v1/usage) and an Ed25519 license gate. Status: /v1/broker/status.
Tokens come from the environment: VMPOOL_BROKER_ADMIN_TOKEN and VMPOOL_BROKER_TOKEN (or *_FILE).`;
