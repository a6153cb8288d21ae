// The agent's idle footprint: a real agent on libvirt's test driver, connected to a real
// coordinator, left idle; reports RSS, where it sits (smaps_rollup), threads and CPU %.
// The agent gets the node flags it is started with for real (AGENT_NODE_FLAGS); --node-args replaces
// them to measure one flag's share (--node-args= for plain node). --env K=V (repeatable) adds to its environment.
// npm run bench -- agent-rss [--idle-s 30] [--json] [--node-args=--max-semi-space-size=1] [--env K=V]
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AGENT_NODE_FLAGS } from '../agent/node-flags.js';
import { BENCH_JOIN_TOKEN, startCoordinator, stopCoordinator } from './lib/coordinator-proc.js';
import { cpuSeconds, rssMib } from './lib/proc-stats.js';
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

/** run starts a coordinator and one agent, waits until it is up, idles, then measures. */
export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'idle-s': { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
      'node-args': { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  const idleS = Number(values['idle-s']);
  const nodeArgs =
    values['node-args'] === undefined
      ? [...AGENT_NODE_FLAGS]
      : values['node-args'].split(' ').filter(Boolean);
  const extraEnv = Object.fromEntries(
    values.env.map((kv) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]),
  );
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-bench-agent-rss-'));
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
      'test:///default',
      '--images-dir',
      images,
      '--pin-source',
      'xml',
    ],
    {
      env: {
        ...process.env,
        ...extraEnv,
        VMPOOL_JOIN_TOKEN: BENCH_JOIN_TOKEN,
        VMPOOL_METRICS_LISTEN: '127.0.0.1:0',
        VMPOOL_STATE_DIR: join(dir, 'state'),
      },
      stdio: 'ignore',
    },
  );
  try {
    const pid = agent.pid ?? 0;
    await sleep(3000); // start, hello, first beats
    const cpu0 = cpuSeconds(pid);
    await sleep(idleS * 1000);
    const cpuPct = ((cpuSeconds(pid) - cpu0) / idleS) * 100;
    emit(
      {
        bench: 'agent-rss',
        idle_s: idleS,
        node_args: nodeArgs.join(' '),
        ...(values.env.length > 0 ? { env: values.env.join(' ') } : {}),
        rss_mib: rssMib(pid),
        ...(await smaps(pid)),
        threads: await threads(pid),
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

/** bareNodeRss is the floor: a node process (with these flags) that only waits. */
async function bareNodeRss(nodeArgs: string[]): Promise<number> {
  const p = spawn(process.execPath, [...nodeArgs, '-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
  await sleep(1000);
  const rss = rssMib(p.pid ?? 0);
  p.kill();
  return rss;
}
