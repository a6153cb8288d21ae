#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1 --jitless --no-expose-wasm
// (the shebang repeats AGENT_NODE_FLAGS from ./node-flags.ts; agent/node-flags.test.ts keeps them equal)
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { PowerOp } from './vms/manager.js';
import { ConfigError, loadConfig } from '../shared/config.js';
import { renderConfigHelp } from '../shared/config-help.js';
import { errorMessage, isVmpoolError } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';
import { type Hello, PROTOCOL_VERSION } from '../shared/protocol.js';
import { SpawnSpecSchema } from '../shared/spec.js';
import { sdNotify, startWatchdog, stderrPriority } from '../shared/systemd.js';
import { parseOrThrow, ValidationError } from '../shared/validation.js';
import { ImageCatalog } from './disk/image-catalog.js';
import { backendOf, baseImages, baseImageSizes, detectTopology, nodeIdOf, openHost } from './host.js';
import { openLibvirtConnection } from './backends/libvirt/index.js';
import { AgentLink, newBootId } from './link/client.js';
import { agentUrls } from './link/urls.js';
import { fileCredential } from './link/credential.js';
import { lockImagesDir } from './lock.js';
import { AGENT_USAGE, type AgentConfig, AgentConfigSchema } from './options.js';
import { startServiceExtras } from './service.js';
import { renderTopologyTable } from './topology/index.js';
import { readTuning, renderTuning } from './tuning/index.js';
import { renderVmTable } from './vms/table.js';
import type { RecoveryReport } from './vms/recovery.js';

const log = createLogger({ component: 'agent' });
const AGENT_VERSION = '0.1.0';

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(renderConfigHelp(AGENT_USAGE, AgentConfigSchema));
    return argv.length === 0 ? 2 : 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`vmpool-agent ${AGENT_VERSION}\n`);
    return 0;
  }
  const { config: o, positionals } = loadConfig(AgentConfigSchema, argv);
  const [command, ...rest] = positionals;
  switch (command) {
    case 'inspect':
      return inspect(o);
    case 'run':
      return run(o);
    case 'spawn':
      return spawn(o);
    case 'list':
      return list(o);
    case 'destroy':
      return destroy(o, rest[0]);
    case 'recover':
      return recoverOnce(o);
    case 'stop':
    case 'start':
    case 'reboot':
      return power(o, command, rest[0]);
    default:
      throw new ConfigError(
        `Cannot run command ${JSON.stringify(command)}: expected run, inspect, spawn, list, destroy, stop, start, reboot or recover`,
      );
  }
}

async function inspect(o: AgentConfig): Promise<number> {
  const hv = await openLibvirtConnection(String(o['libvirt-uri']), { backend: backendOf(o) }).catch((err) => {
    log.warn('libvirt unreachable; KVM reported unusable', { err });
    return null;
  });
  const topo = await detectTopology(hv, o, { fresh: true });
  await hv?.close();
  const tuning = await readTuning(String(o['sysfs-root']));
  process.stdout.write(
    o.json
      ? `${JSON.stringify({ ...topo, tuning: tuning.checks }, null, 2)}\n`
      : `${renderTopologyTable(topo)}\n${renderTuning(tuning)}`,
  );
  return 0;
}

async function run(o: AgentConfig): Promise<number> {
  const url = o.coordinator;
  if (!url) throw new ConfigError('Cannot run: --coordinator URL (or VMPOOL_COORDINATOR) is required');
  const joinToken = o['join-token'];
  if (!joinToken)
    throw new ConfigError('Cannot run: VMPOOL_JOIN_TOKEN (or VMPOOL_JOIN_TOKEN_FILE) is required');
  const nodeId = nodeIdOf(o);
  const nodeLog = log.child({ node_id: nodeId });
  const host = await openHost(o, nodeLog, { freshKvmProbe: true });
  const unlock = await lockImagesDir(host.imagesDir);
  const report = await host.manager.recover({ restartStopped: o['restart-stopped'] === true });
  const tuning = await readTuning(String(o['sysfs-root']));
  const bootId = newBootId();
  const urls = agentUrls(url);
  let refused: (() => void) | undefined;
  const catalog = new ImageCatalog({ imagesDir: host.imagesDir, log: nodeLog });
  await catalog.refresh(); // sizes, formats and checksums before the first hello (once per file version)
  const link = new AgentLink({
    images: () => baseImages(host.imagesDir),
    imageInfo: () => catalog.current(),
    onRefused: () => {
      nodeLog.error('coordinator refused the join token; not retrying', { coordinator: url });
      sdNotify('STATUS=join token refused by the coordinator');
      process.stderr.write(`vmpool-agent: unauthorized: the coordinator at ${url} refused the join token\n`);
      refused?.();
    },
    url: urls[0]!,
    urls,
    // with several coordinators a failover must not wait out a long backoff
    ...(urls.length > 1 ? { backoffCapMs: 1_000 } : {}),
    joinToken,
    nodeId,
    credential: fileCredential(
      join(o['state-dir'] || join(host.imagesDir, '.vmpool-agent'), 'node-credential'),
    ),
    log: nodeLog,
    vms: host.manager,
    hello: async () => ({
      type: 'hello',
      v: PROTOCOL_VERSION,
      node_id: nodeId,
      boot_id: bootId,
      reserved: o.reserved,
      kvm: host.topology.kvm,
      topology: host.topology as Hello['topology'],
      host_reserved_cpus: host.hostReservedCpus,
      host_reserved_memory_mb: o['host-reserved-memory-mb'],
      agent_version: AGENT_VERSION,
      images_dir: host.imagesDir,
      images: await baseImages(host.imagesDir),
      tuning: tuning.checks,
      image_sizes: await baseImageSizes(host.imagesDir),
      image_info: catalog.current(),
    }),
  });
  link.start();
  const stopExtras = await startServiceExtras({
    host,
    link,
    tuning,
    metricsListen: String(o['metrics-listen']),
    log: nodeLog,
  });
  sdNotify('READY=1');
  const stopWatchdog = startWatchdog();
  nodeLog.info('agent running', {
    vms: host.manager.size,
    rolled_back: report.rolledBack.length,
    kvm: host.topology.kvm,
    coordinator: url,
  });
  const exitCode = await new Promise<number>((resolve) => {
    refused = () => resolve(2);
    const stop = (signal: string) => {
      nodeLog.info('agent stopping; VMs keep running', { signal });
      sdNotify('STOPPING=1');
      stopWatchdog();
      link.stop();
      void stopExtras();
      resolve(0);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // a spawn or destroy in progress finishes (or rolls back) before the connection and lock go
  await Promise.race([host.manager.drain(), new Promise((r) => setTimeout(r, 60_000).unref())]);
  host.manager.closeGuests();
  await unlock();
  await host.backend.close();
  return exitCode;
}

async function spawn(o: AgentConfig): Promise<number> {
  const file = o.spec;
  if (!file) throw new ConfigError('Cannot spawn: --spec FILE is required');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ValidationError(
      `spec file ${file}`,
      [{ path: '', code: 'bad_json', message: errorMessage(err) }],
      'bad_request',
    );
  }
  const spec = parseOrThrow(SpawnSpecSchema, raw, 'spawn spec');
  const host = await openHost(o, log);
  const unlock = await lockImagesDir(host.imagesDir);
  await host.manager.load();
  const tty = process.stderr.isTTY;
  // Ctrl-C must not cut the pipeline between steps: the spawn finishes or rolls back by itself
  const hold = () =>
    process.stderr.write('vmpool-agent: spawn in progress; it finishes or rolls back on its own\n');
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
  const vm = await host.manager
    .spawn(spec, (phase) => tty && process.stderr.write(`  ✓ ${phase}\n`))
    .finally(unlock);
  await host.backend.close();
  process.stdout.write(
    o.json
      ? `${JSON.stringify(vm, null, 2)}\n`
      : `spawned ${vm.name} (${vm.vm_id}) on NUMA node ${vm.numa_node}, pins ${spec.tuning.vcpu_pins.join(',')}\n`,
  );
  return 0;
}

async function list(o: AgentConfig): Promise<number> {
  const host = await openHost(o, log);
  await host.manager.load();
  await host.manager.refreshStates();
  const reports = host.manager.reports();
  await host.backend.close();
  process.stdout.write(o.json ? `${JSON.stringify(reports, null, 2)}\n` : renderVmTable(reports));
  return 0;
}

async function destroy(o: AgentConfig, name: string | undefined): Promise<number> {
  if (!name) throw new ConfigError('Cannot destroy: give the VM name or id, e.g. vmpool-agent destroy web-1');
  const host = await openHost(o, log);
  const unlock = await lockImagesDir(host.imagesDir);
  await host.manager.load();
  await host.manager.destroy(name, { keepDisk: o['keep-disk'] === true }).finally(unlock);
  await host.backend.close();
  process.stdout.write(`destroyed ${name}\n`);
  return 0;
}

/** power stops, starts or reboots one local VM under the images-dir lock (service stopped, or its own VM). */
async function power(o: AgentConfig, op: PowerOp, name: string | undefined): Promise<number> {
  if (!name) throw new ConfigError(`Cannot ${op}: give the VM name or id, e.g. vmpool-agent ${op} web-1`);
  const host = await openHost(o, log);
  const unlock = await lockImagesDir(host.imagesDir);
  await host.manager.load();
  const timeout = o['shutdown-timeout-ms'] ?? 10_000;
  const vm = await host.manager.power(name, op, timeout).finally(unlock);
  await host.backend.close();
  process.stdout.write(
    `${op === 'stop' ? 'stopped' : op === 'start' ? 'started' : 'rebooted'} ${name}: ${vm.state}\n`,
  );
  return 0;
}

/** recoverOnce runs start-up recovery and prints its report (operators: with the service stopped). */
async function recoverOnce(o: AgentConfig): Promise<number> {
  const host = await openHost(o, log);
  const unlock = await lockImagesDir(host.imagesDir);
  const report = await host.manager
    .recover({ restartStopped: o['restart-stopped'] === true })
    .finally(unlock);
  await host.backend.close();
  process.stdout.write(
    o.json
      ? `${JSON.stringify({ ...report, vms: host.manager.reports() }, null, 2)}\n`
      : renderRecovery(report),
  );
  return 0;
}

function renderRecovery(r: RecoveryReport): string {
  return `${Object.entries(r)
    .map(
      ([k, v]) =>
        `${k.padEnd(12)} ${(v as unknown[]).length ? (v as unknown[]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : '-'}`,
    )
    .join('\n')}\n`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const code = isVmpoolError(err) ? err.code : 'internal';
    // <3>: under the journal, this line is an error entry (systemd reads the syslog prefix)
    process.stderr.write(`${stderrPriority(3)}vmpool-agent: ${code}: ${errorMessage(err)}\n`);
    if (err instanceof ValidationError)
      for (const i of err.issues) process.stderr.write(`  ${i.path || '(root)'}: ${i.message}\n`);
    if (!isVmpoolError(err)) log.error('agent failed', { err });
    process.exit(code === 'bad_config' ? 2 : 1);
  },
);
