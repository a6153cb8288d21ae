#!/usr/bin/env -S node --max-semi-space-size=16
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { ConfigError, loadConfig } from '../shared/config.js';
import { renderConfigHelp } from '../shared/config-help.js';
import { errorMessage, isVmpoolError } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';
import { resolveListen } from '../shared/listen.js';
import { sdNotify, startWatchdog, stderrPriority } from '../shared/systemd.js';
import { Registry } from 'prom-client';
import { AuditLog, loadAuditKey } from './audit/index.js';
import { type BandConfig, parseBandConfig } from './bands/index.js';
import { createCoordinator } from './assemble.js';
import { lockDataDir } from './data-dir-lock.js';
import { openEtcdBackend } from './ha/backend.js';
import { Cordons } from './nodes/cordons.js';
import { WebhookBook } from './webhooks/book.js';
import { persistSeq, readSeqStart } from './events/seq-file.js';
import { LowdbStore } from './store/index.js';
import { CoordinatorConfigSchema, COORDINATOR_USAGE } from './options.js';

// journald sends on a worker thread: the coordinator logs thousands of lines a second under load
const log = createLogger({ component: 'coordinator', journalThread: true });

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(renderConfigHelp(COORDINATOR_USAGE, CoordinatorConfigSchema));
    return;
  }
  if (argv.includes('--version')) {
    process.stdout.write('vmpool-coordinator 0.1.0\n');
    return;
  }
  // everything that can be wrong with the settings is found before anything is written
  const { config: o } = loadConfig(CoordinatorConfigSchema, argv);
  const { 'admin-token': adminToken, 'join-token': joinToken } = o;
  if (adminToken === joinToken)
    throw new ConfigError('Cannot start: VMPOOL_ADMIN_TOKEN and VMPOOL_JOIN_TOKEN must differ');
  const listen = resolveListen(o.listen, { allowAll: o['listen-all'] });
  const bands = loadBands(o.bands);
  const dataDir = o['data-dir'];
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  await lockDataDir(dataDir); // held until exit: the kernel drops it with the process
  const promRegistry = new Registry();
  const backend = o.store === 'etcd' ? openEtcdBackend(o, listen, log, promRegistry) : null;
  const store = backend?.store ?? new LowdbStore(join(dataDir, 'state.json'));
  const fileAudit = backend
    ? null
    : await AuditLog.open(join(dataDir, 'audit.log'), {
        key: await auditKey(o, dataDir),
        maxBytes: o['audit-max-bytes'],
        keepSegments: o['audit-keep-segments'],
      });
  const checkpoints = setInterval(
    () => void fileAudit?.checkpoint().catch((err) => log.error('audit checkpoint failed', { err })),
    10_000,
  );
  const seqPath = join(dataDir, 'events.seq');
  const startSeq = readSeqStart(seqPath);
  const placement = {
    ranking: o.ranking,
    cpu_overcommit: o['cpu-overcommit'],
    seed: Date.now() % 1_000_000,
  } as const;
  const c = await createCoordinator({
    log,
    store,
    audit: backend?.audit ?? fileAudit!,
    bands,
    placement,
    // coordinators sharing etcd share cordons through the store; a single one keeps its small file
    cordons: backend ? Cordons.inStore(store) : await Cordons.open(join(dataDir, 'cordons.json')),
    webhookBook: await WebhookBook.open(join(dataDir, 'webhooks.json')),
    delivery: { source: `http://${o.listen}` },
    joinToken,
    adminToken,
    ...(o['broker-token'] ? { brokerToken: o['broker-token'] } : {}),
    startSeq,
    liveness: {
      minIntervalMs: o['min-heartbeat-ms'],
      maxHeartbeatsPerSecond: o['max-heartbeats-per-second'],
      missedIntervals: o['missed-heartbeats'],
    },
    maxMessageBytes: o['agent-max-message-bytes'],
    rateLimit: { perSecond: o['rate-limit-per-second'], burst: 2 * o['rate-limit-per-second'] },
    promRegistry,
    // a quarter of the shortest interval (at most 1 s): 1 s beats are seen down within 2.25 intervals + 1
    sweepMs: Math.min(1_000, o['min-heartbeat-ms'] / 4),
    statusLine: true,
    ...(backend ? { ha: { backend, timeoutMs: o['etcd-timeout-ms'] } } : {}),
  });
  persistSeq(c.bus, seqPath, startSeq);
  const server = serve({ fetch: c.app.fetch, hostname: listen.host, port: listen.port }) as Server;
  server.headersTimeout = 10_000; // a slow client gets 10 s for its headers
  server.requestTimeout = 30_000; // and 30 s for the whole request
  server.maxConnections = o['max-connections'];
  c.link.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  c.start();
  sdNotify('READY=1');
  const stopWatchdog = startWatchdog();
  log.info('coordinator listening', {
    host: listen.host,
    port: listen.port,
    data_dir: dataDir,
    store: o.store,
    bands: bands.bands.length,
    placement_seed: placement.seed,
  });
  const stop = (signal: string) => {
    log.info('coordinator stopping', { signal });
    sdNotify('STOPPING=1');
    clearInterval(checkpoints);
    stopWatchdog();
    // the last checkpoint lets verify see lines cut from the end while the coordinator was down
    void c
      .stop()
      .then(() => fileAudit?.checkpoint())
      .catch((err) => log.error('audit checkpoint failed', { err }))
      .finally(() => server.close(() => process.exit(0)));
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** auditKey loads the audit HMAC key; a key file inside the data dir is refused (it must live apart). */
async function auditKey(o: { 'audit-key-file'?: string | undefined }, dataDir: string): Promise<Buffer> {
  const given = o['audit-key-file'];
  const path = resolve(given || `${resolve(dataDir)}.audit-key`);
  const rel = relative(resolve(dataDir), path);
  if (!rel.startsWith('..') && !rel.startsWith('/'))
    throw new ConfigError(`Cannot use audit key file ${path}: it must not be inside the data dir`);
  if (!given) log.warn('audit key file not set; using one beside the data dir', { path });
  return loadAuditKey(path, { create: !given });
}

function loadBands(path: string | undefined): BandConfig {
  if (!path)
    return parseBandConfig({ bands: [{ name: 'default', from: 100, to: 999_999 }], default_band: 'default' });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Cannot read bands file ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return parseBandConfig(raw);
}

main(process.argv.slice(2)).catch((err) => {
  // a config error is the one line below, naming its flag, variable or file key
  if (!(isVmpoolError(err) && err.code === 'bad_config')) log.error('coordinator failed to start', { err });
  // <3>: under the journal, this line is an error entry (systemd reads the syslog prefix)
  process.stderr.write(`${stderrPriority(3)}vmpool-coordinator: ${errorMessage(err)}\n`);
  process.exit(isVmpoolError(err) && err.code === 'bad_config' ? 2 : 1);
});
