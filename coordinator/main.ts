#!/usr/bin/env node
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
import { type AuditJournal, AuditLog, loadAuditKey } from './audit/index.js';
import { type BandConfig, parseBandConfig } from './bands/index.js';
import { createCore } from './core.js';
import { lockDataDir } from './data-dir-lock.js';
import { openEtcdBackend } from './ha/backend.js';
import { EventBus } from './events/bus.js';
import { EventRing } from './events/ring.js';
import { Cordons } from './nodes/cordons.js';
import { WebhookBook } from './webhooks/book.js';
import { Webhooks } from './webhooks/dispatcher.js';
import { persistSeq, readSeqStart } from './events/seq-file.js';
import { createApp } from './http/app.js';
import { UnauthTally } from './http/unauth-tally.js';
import { createMetrics } from './http/metrics.js';
import { metricsCollect, startObserving } from './observe.js';
import { NodeRegistry } from './registry/registry.js';
import { LowdbStore } from './store/index.js';
import { hashToken } from './tenants/index.js';
import { CoordinatorConfigSchema, COORDINATOR_USAGE } from './options.js';
import type { VmService } from './vms/service.js';

const log = createLogger({ component: 'coordinator' });

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
  await store.load();
  const fileAudit = backend
    ? null
    : await AuditLog.open(join(dataDir, 'audit.log'), {
        key: await auditKey(o, dataDir),
        maxBytes: o['audit-max-bytes'],
        keepSegments: o['audit-keep-segments'],
      });
  const audit: AuditJournal = backend?.audit ?? fileAudit!;
  const verifyAuditLog = () => (backend ? backend.audit.verify() : fileAudit!.verify());
  const checkpoints = setInterval(
    () => void fileAudit?.checkpoint().catch((err) => log.error('audit checkpoint failed', { err })),
    10_000,
  );
  const seqPath = join(dataDir, 'events.seq');
  const startSeq = readSeqStart(seqPath);
  const bus = new EventBus({ log, startSeq });
  persistSeq(bus, seqPath, startSeq);
  const events = new EventRing(bus);
  const webhooks = new Webhooks({
    book: await WebhookBook.open(join(dataDir, 'webhooks.json')),
    bus,
    log,
    delivery: { source: `http://${o.listen}` },
  });
  const registry = new NodeRegistry({
    bus,
    liveness: {
      minIntervalMs: o['min-heartbeat-ms'],
      maxHeartbeatsPerSecond: o['max-heartbeats-per-second'],
      missedIntervals: o['missed-heartbeats'],
    },
  });
  const placement = {
    ranking: o.ranking,
    cpu_overcommit: o['cpu-overcommit'],
    seed: Date.now() % 1_000_000,
  } as const;
  let service: VmService | undefined;
  const fleet = { registry, store, overcommit: placement.cpu_overcommit, vms: () => service! };
  const metrics = createMetrics({ ...metricsCollect(fleet), registry: promRegistry });
  // coordinators sharing etcd share cordons through the store; a single one keeps its small file
  const cordons = backend ? Cordons.inStore(store) : await Cordons.open(join(dataDir, 'cordons.json'));
  const { vms, link, identity, claims, placer, notices } = createCore({
    cordoned: () => cordons.ids(),
    store,
    registry,
    bus,
    audit,
    bands,
    placement,
    log,
    joinToken,
    maxMessageBytes: o['agent-max-message-bytes'],
    onHeartbeat: () => metrics.heartbeats.inc(),
    onHeartbeatHandled: (seconds) => metrics.heartbeatSeconds.observe(seconds),
    ...(backend ? { linkRedirect: () => backend.ha.redirect() } : {}),
    onPlacement: (seconds, ok) => {
      metrics.placementSeconds.observe({ result: ok ? 'placed' : 'no_capacity' }, seconds);
      if (!ok) metrics.placements.inc({ pass: '0', result: 'no_capacity' });
    },
  });
  service = vms;
  const stopObserving = startObserving(bus, metrics, fleet);
  const unauthTally = new UnauthTally(audit, log);
  const app = createApp({
    unauthTally,
    store,
    registry,
    vms,
    audit,
    verifyAudit: verifyAuditLog,
    notices,
    events,
    webhooks,
    cordons,
    placer,
    bands,
    adminTokenHash: hashToken(adminToken),
    ...(o['broker-token'] ? { brokerTokenHash: hashToken(o['broker-token']) } : {}),
    overcommit: placement.cpu_overcommit,
    metrics,
    log,
    ...(backend
      ? { cluster: { ha: backend.ha, etcd: backend.client, log, timeoutMs: o['etcd-timeout-ms'] } }
      : {}),
    nodes: { identity, registry, claims, audit },
    rateLimit: { perSecond: o['rate-limit-per-second'], burst: 2 * o['rate-limit-per-second'] },
  });
  const server = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }) as Server;
  server.headersTimeout = 10_000; // a slow client gets 10 s for its headers
  server.requestTimeout = 30_000; // and 30 s for the whole request
  server.maxConnections = o['max-connections'];
  link.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const sweep = setInterval(
    () => {
      registry.sweep(Date.now()); // nodes that went down are reported on the bus
      const retuned = registry.retune();
      if (retuned.length)
        log.info('heartbeat interval changed', {
          nodes: retuned.length,
          interval_ms: registry.get(retuned[0]!)?.intervalMs,
        });
      // a quarter of the shortest interval (at most 1 s): 1 s beats are seen down within 2.25 intervals + 1
    },
    Math.min(1_000, o['min-heartbeat-ms'] / 4),
  );
  backend?.ha.start({
    lead: async () => {
      await backend.store.lead();
    },
    follow: async () => {
      link.dropAll('coordinator is not the leader');
      await backend.store.follow();
    },
    nodesWithVms: () => [
      ...new Set(Object.values(store.read().vms).flatMap((v) => (v.node_id ? [v.node_id] : []))),
    ],
    nodeConnected: (id) => registry.get(id)?.state === 'ready',
  });
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
    clearInterval(sweep);
    stopObserving();
    void webhooks.stop();
    clearInterval(checkpoints);
    stopWatchdog();
    link.close();
    void backend?.close().catch(() => undefined); // resign: a follower takes over without waiting out the lease
    // the last checkpoint lets verify see lines cut from the end while the coordinator was down
    void unauthTally
      .flush()
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
