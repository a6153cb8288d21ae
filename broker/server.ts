import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { ConfigError } from '../shared/config-error.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { ListenAddress } from '../shared/listen.js';
import { AdmissionGate } from './admission/gate.js';
import { RateLimiter } from './admission/rate.js';
import { Authenticator, sha256hex } from './auth/auth.js';
import { createBrokerApp } from './http/app.js';
import { createBrokerMetrics } from './http/metrics.js';
import { loadPublicKey } from './license/license.js';
import { LicenseWatch } from './license/watch.js';
import { MeteringJournal } from './metering/journal.js';
import type { BrokerConfig } from './options.js';
import { parseUpstreams, UpstreamPool } from './upstreams/pool.js';

/** RunningBroker is a started broker: its HTTP server and the function that stops it. */
export interface RunningBroker {
  server: Server;
  stop(): Promise<void>;
}

/** startBroker checks the settings, opens the journal, checks the license and upstreams, then listens. */
export async function startBroker(
  o: BrokerConfig,
  listen: ListenAddress,
  log: Logger,
): Promise<RunningBroker> {
  const specs = (() => {
    try {
      return parseUpstreams(o.upstreams);
    } catch (err) {
      throw new ConfigError(`Cannot use --upstreams: ${errorMessage(err)}`);
    }
  })();
  if (!o['license-public-key'])
    throw new ConfigError(
      'Cannot start: --license-public-key or VMPOOL_BROKER_LICENSE_PUBLIC_KEY is required',
    );
  const key = (() => {
    try {
      return loadPublicKey(readFileSync(o['license-public-key']!, 'utf8'));
    } catch (err) {
      throw new ConfigError(
        `Cannot use --license-public-key ${o['license-public-key']}: ${errorMessage(err)}`,
      );
    }
  })();
  if (o.coordinator && !o['broker-token'])
    throw new ConfigError(
      'Cannot start: --coordinator needs VMPOOL_BROKER_TOKEN (or VMPOOL_BROKER_TOKEN_FILE)',
    );
  mkdirSync(o['data-dir'], { recursive: true, mode: 0o700 });
  const journal = await MeteringJournal.open(join(o['data-dir'], 'metering.jsonl'), log);
  const pool = new UpstreamPool(
    specs,
    {
      windowMs: o['breaker-window-ms'],
      minRequests: o['breaker-min-requests'],
      failureRate: o['breaker-failure-rate'],
      consecutiveFailures: o['breaker-consecutive-failures'],
      slowMs: o['breaker-slow-ms'],
      openMs: o['breaker-open-ms'],
      halfOpenProbes: o['breaker-half-open-probes'],
    },
    { log, routing: o.routing },
  );
  const gate = new AdmissionGate(pool, {
    upstreamConcurrency: o['upstream-concurrency'],
    tenantConcurrency: o['tenant-concurrency'],
    queueLength: o['queue-length'],
    queueWaitMs: o['queue-wait-ms'],
  });
  const metrics = createBrokerMetrics(pool);
  const license = new LicenseWatch({
    licensePath: o.license,
    ...(o['license-revocations'] ? { revocationsPath: o['license-revocations'] } : {}),
    key,
    intervalMs: o['license-check-ms'],
    log,
    onChange: (v) => {
      metrics.licenseValid.set(v.valid ? 1 : 0);
      if (v.valid) gate.open();
      else gate.close(`License invalid (${v.reason}): ${v.detail}`);
    },
  });
  license.start();
  const rate = new RateLimiter(o['tenant-rpm'], o['tenant-tpm']);
  const auth = new Authenticator({
    adminTokenHash: sha256hex(o['admin-token']),
    ...(o['api-keys'] ? { apiKeysPath: o['api-keys'] } : {}),
    ...(o.coordinator
      ? { coordinator: { url: o.coordinator.replace(/\/+$/, ''), token: o['broker-token']! } }
      : {}),
    cacheMs: o['introspect-cache-ms'],
    log,
  });
  await pool.checkAll(Math.min(2000, o['health-interval-ms']));
  const health = setInterval(
    () => void pool.checkAll(Math.min(2000, o['health-interval-ms'])),
    o['health-interval-ms'],
  );
  health.unref();
  const app = createBrokerApp({
    pool,
    gate,
    rate,
    journal,
    upstreamTimeoutMs: o['upstream-timeout-ms'],
    log,
    auth,
    metrics,
    license: () => license.current(),
    inFlight: metrics.inFlight,
    onMetered: (r) => {
      metrics.meteringRecords.inc({ status: r.status });
      if (r.prompt_tokens !== null) metrics.tokens.inc({ tenant: r.tenant, kind: 'prompt' }, r.prompt_tokens);
      if (r.completion_tokens !== null)
        metrics.tokens.inc({ tenant: r.tenant, kind: 'completion' }, r.completion_tokens);
      rate.addTokens(r.tenant, r.total_tokens ?? 0);
    },
  });
  const server = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    server,
    async stop() {
      clearInterval(health);
      license.stop();
      gate.close('Broker stopping', 'admission_full');
      // open streams finish before the journal closes: close() waits for in-flight connections
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await closed;
      await journal.close();
    },
  };
}
