// The agent's idle footprint: a real agent as shipped (qemu:///system through libvirtd, its default
// libvirt backend, the start-up KVM probe), connected to a real coordinator, left idle; reports RSS,
// where it sits (smaps_rollup), threads, CPU %, and whether libvirt.so is mapped. Measuring starts
// once the agent logged its KVM probe result (the probe guest is gone by then).
// The agent gets the node flags it is started with for real (AGENT_NODE_FLAGS); --node-args replaces
// them to measure one flag's share (--node-args= for plain node). --env K=V (repeatable) adds to its
// environment; --libvirt-uri and --libvirt-backend pass through to the agent (e.g. test:///default, koffi).
// npm run bench -- agent-rss [--idle-s 30] [--json] [--node-args=--max-semi-space-size=1] [--env K=V]
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_NODE_FLAGS } from '../agent/node-flags.js';
import { BENCH_JOIN_TOKEN, startCoordinator, stopCoordinator } from './lib/coordinator-proc.js';
import { cpuSeconds, rssMib } from './lib/proc-stats.js';
import { choice, decimal, flag, text, texts } from './lib/option-kinds.js';
import { BenchUsageError, parseOptions } from './lib/options.js';
import { emit } from './lib/stats.js';

const AGENT_BIN = join(import.meta.dirname, '..', 'agent', 'main.js');

/** smaps reads the kB figures of /proc/<pid>/smaps_rollup as MiB. */
async function smaps(pid: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await readFile(`/proc/${pid}/smaps_rollup`, 'utf8')).matchAll(/^(\w+):\s+(\d+) kB/gm))
    if (['Rss', 'Pss', 'Private_Dirty', 'Private_Clean', 'Shared_Clean', 'Anonymous'].includes(m[1] ?? ''))
      out[`${m[1]?.toLowerCase()}_mib`] = Math.round(Number(m[2]) / 102.4) / 10;
  return out;
}

async function threads(pid: number): Promise<number> {
  return Number(/Threads:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
}

/** OPTIONS are the agent-rss bench's flags (bench/main.ts prints them for --help). */
const OPTIONS = {
  idleS: decimal({ above: 0, default: 30 }),
  json: flag(),
  nodeArgs: text(),
  env: texts(),
  libvirtUri: text('qemu:///system'),
  libvirtBackend: choice(['auto', 'rpc', 'koffi']),
};

/** envPair splits one --env K=V; one without "=" or a name is refused (it would set a garbled variable). */
function envPair(kv: string): [string, string] {
  const at = kv.indexOf('=');
  if (at < 1) throw new BenchUsageError(`--env must be NAME=VALUE, got ${JSON.stringify(kv)}`);
  return [kv.slice(0, at), kv.slice(at + 1)];
}

/** run starts a coordinator and one agent, waits until it is up, idles, then measures. */
export async function run(argv: string[]): Promise<void> {
  const values = parseOptions(argv, OPTIONS);
  const { idleS } = values;
  const nodeArgs =
    values.nodeArgs === undefined ? [...AGENT_NODE_FLAGS] : values.nodeArgs.split(' ').filter(Boolean);
  const extraEnv = Object.fromEntries(values.env.map(envPair));
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-bench-agent-rss-'));
  await chmod(dir, 0o755); // the KVM probe guest's files must be readable by libvirtd's qemu user
  const images = join(dir, 'images');
  await mkdir(join(images, 'base'), { recursive: true });
  const c = await startCoordinator(join(dir, 'coord'));
  const agent = spawn(
    process.execPath,
    [
      ...nodeArgs,
      AGENT_BIN,
      'run',
      '--coordinator',
      c.url,
      '--node-id',
      'rss-bench',
      '--libvirt-uri',
      values.libvirtUri,
      ...(values.libvirtBackend === undefined ? [] : ['--libvirt-backend', values.libvirtBackend]),
      '--images-dir',
      images,
      ...(values.libvirtUri.startsWith('test:') ? ['--pin-source', 'xml'] : []),
    ],
    {
      env: {
        ...process.env,
        ...extraEnv,
        VMPOOL_JOIN_TOKEN: BENCH_JOIN_TOKEN,
        VMPOOL_METRICS_LISTEN: '127.0.0.1:0',
        VMPOOL_STATE_DIR: join(dir, 'state'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  try {
    const pid = agent.pid ?? 0;
    await probed(agent.stderr, 60_000);
    await sleep(3000); // hello, first beats
    const cpu0 = cpuSeconds(pid);
    await sleep(idleS * 1000);
    const cpuPct = ((cpuSeconds(pid) - cpu0) / idleS) * 100;
    emit(
      {
        bench: 'agent-rss',
        idle_s: idleS,
        node_args: nodeArgs.join(' '),
        libvirt_uri: values.libvirtUri,
        ...(values.libvirtBackend === undefined ? {} : { libvirt_backend: values.libvirtBackend }),
        ...(values.env.length > 0 ? { env: values.env.join(' ') } : {}),
        rss_mib: rssMib(pid),
        ...(await smaps(pid)),
        threads: await threads(pid),
        libvirt_so_mapped: (await readFile(`/proc/${pid}/maps`, 'utf8')).includes('libvirt.so'),
        koffi_mapped: (await readFile(`/proc/${pid}/maps`, 'utf8')).includes('koffi'),
        cpu_pct: Math.round(cpuPct * 100) / 100,
        node_bare_rss_mib: await bareNodeRss([]),
        node_bare_flags_rss_mib: await bareNodeRss(nodeArgs),
      },
      values.json,
    );
  } finally {
    agent.kill('SIGTERM');
    await stopCoordinator(c);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * probed resolves once the agent logged that it is connected to the coordinator, which it does only
 * after its host checks (the KVM probe guest included); its stderr keeps being drained after.
 */
function probed(stderr: NodeJS.ReadableStream | null, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`agent did not finish starting within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let seen = '';
    stderr?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      if (seen.includes('connected to coordinator')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** bareNodeRss is the floor: a node process (with these flags) that only waits. */
async function bareNodeRss(nodeArgs: string[]): Promise<number> {
  const p = spawn(process.execPath, [...nodeArgs, '-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
  await sleep(1000);
  const rss = rssMib(p.pid ?? 0);
  p.kill();
  return rss;
}
