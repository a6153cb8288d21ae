// GET /metrics at fleet size against the real coordinator process: a data dir seeded as after a
// restart (--nodes enrolled nodes, --vms VMs spread over them), every node's simulated agent
// connected (v2, reporting the same VMs, beating at the interval the coordinator hands out), then
// --scrapes sequential scrapes --gap-ms apart while /healthz is asked every --probe-ms.
// npm run bench -- metrics --nodes 10000 --vms 100000 [--scrapes 20] [--gap-ms 250] [--json]
// VMPOOL_BENCH_NODE_ARGS=--cpu-prof profiles the coordinator (see lib/coordinator-proc.ts).
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoordinator, stopCoordinator } from './lib/coordinator-proc.js';
import { cpuSeconds } from './lib/proc-stats.js';
import { seedStore, simNodeId } from './lib/seed-store.js';
import { SimFleet } from './lib/sim-agents.js';
import { decimal, flag, integer } from './lib/option-kinds.js';
import { parseOptions } from './lib/options.js';
import { emit, latency, nowMs } from './lib/stats.js';

/** OPTIONS are the metrics bench's flags (bench/main.ts prints them for --help). */
const OPTIONS = {
  nodes: integer({ min: 1, default: 10000 }),
  vms: integer({ min: 0, default: 100000 }),
  scrapes: integer({ min: 1, default: 20 }),
  gapMs: decimal({ min: 0, default: 250 }),
  probeMs: decimal({ min: 0, default: 5 }),
  // agents connected, before the first scrape: hellos reconciled, placement's index built
  settleS: decimal({ min: 0, default: 3 }),
  json: flag(),
};

const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });

/** get reads one URL to its end; returns the body and the wall time to its last byte. */
function get(url: string): Promise<{ text: string; ms: number }> {
  const t0 = nowMs();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), ms: nowMs() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// the prober runs in a process of its own: the bench's loop (10,000 simulated agents, a 3 MB body to
// read) would add its own delay to the answers it times
const PROBE = `
const [port, pauseMs] = process.argv.slice(1).map(Number);
const http = await import('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const out = [];
let stop = false;
process.on('message', () => { stop = true; });
while (!stop) {
  const at = Date.now();
  const t = performance.now();
  await new Promise((resolve) => http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
    res.resume();
    res.on('end', resolve);
  }).on('error', resolve));
  out.push([at, performance.now() - t]);
  await new Promise((r) => setTimeout(r, pauseMs));
}
process.send(out, () => process.exit(0));
`;

/** Prober asks /healthz back to back (probeMs apart) from a child process, each answer with its start. */
class Prober {
  private readonly child: ChildProcess;
  private readonly done: Promise<[number, number][]>;

  constructor(port: number, pauseMs: number) {
    this.child = fork('-e', [PROBE, String(port), String(pauseMs)], {
      execArgv: ['--input-type=module'],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    this.done = new Promise((resolve) => this.child.once('message', (m) => resolve(m as [number, number][])));
  }

  /** stop ends the probes and returns every [start wall ms, latency ms]. */
  stop(): Promise<[number, number][]> {
    this.child.send('stop');
    return this.done;
  }
}

/** worstIn is the slowest answer among probes started inside each [from, to) wall-clock window. */
function worstIn(probes: readonly [number, number][], windows: readonly [number, number][]): number[] {
  return windows.map(([from, to]) =>
    probes.reduce((w, [at, ms]) => (at >= from && at < to ? Math.max(w, ms) : w), 0),
  );
}

/** lagMaxMs is the coordinator's event-loop delay max since its previous scrape (prom-client resets it). */
function lagMaxMs(text: string): number {
  const v = /^vmpool_coordinator_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text)?.[1];
  return v === undefined ? Number.NaN : Number(v) * 1000;
}

const NODE_FAMILIES = /^vmpool_(node_heartbeat_age_seconds|numa_free_threads|numa_free_memory_bytes)\{/;

/** seriesCount counts the body's samples: all of them, and those of the per-node families. */
function seriesCount(text: string): { all: number; node: number } {
  let all = 0;
  let node = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    all++;
    if (NODE_FAMILIES.test(line)) node++;
  }
  return { all, node };
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** run seeds the data dir, starts the coordinator, connects the agents and scrapes. */
export async function run(argv: string[]): Promise<void> {
  const o = parseOptions(argv, OPTIONS);
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-bench-metrics-'));
  try {
    const perNode = Math.floor(o.vms / o.nodes);
    await seedStore(dir, o.nodes, perNode);
    const c = await startCoordinator(dir, ['--max-connections', String(o.nodes + 100)]);
    const pid = c.child.pid ?? 0;
    const agents = new SimFleet({
      url: `${c.url.replace('http', 'ws')}/v1/agents/connect`,
      auth: { kind: 'node' }, // enrolled by seedStore, as after a coordinator restart
      beats: 'v2',
      vms: perNode,
      statsEveryMs: 0,
      ack: false,
      concurrency: 100,
    });
    try {
      await agents.connect(Array.from({ length: o.nodes }, (_, i) => simNodeId(i)));
      agents.start();
      await sleep(o.settleS * 1000);
      const first = await get(`${c.url}/metrics`); // builds whatever a scrape caches
      await sleep(o.gapMs);
      const prober = new Prober(Number(new URL(c.url).port), o.probeMs);
      // the coordinator's CPU without scrapes (beats, sweeps, the probes) over the span the scrapes take
      const idle0 = cpuSeconds(pid);
      const i0 = nowMs();
      const idleFrom = Date.now();
      await sleep(Math.max(1000, o.scrapes * o.gapMs));
      const idlePerMs = (cpuSeconds(pid) - idle0) / (nowMs() - i0);
      const idleTo = Date.now();
      await get(`${c.url}/metrics`); // resets the loop-delay figures: the next scrape reports what followed
      await sleep(o.gapMs);
      const walls: number[] = [];
      const lags: number[] = [];
      const windows: [number, number][] = [];
      let body = first.text;
      const cpu0 = cpuSeconds(pid);
      const t0 = nowMs();
      for (let i = 0; i < o.scrapes; i++) {
        const from = Date.now();
        const s = await get(`${c.url}/metrics`);
        await sleep(o.gapMs); // the render's garbage and the socket write finish inside the window
        windows.push([from, Date.now()]);
        walls.push(s.ms);
        if (i > 0) lags.push(lagMaxMs(s.text)); // covers the previous scrape and the gap after it
        body = s.text;
      }
      const spanMs = nowMs() - t0;
      const cpuMs = (cpuSeconds(pid) - cpu0) * 1000;
      lags.push(lagMaxMs((await get(`${c.url}/metrics`)).text));
      const probes = await prober.stop();
      const healthz = worstIn(probes, windows);
      emit(
        {
          bench: 'metrics',
          nodes: o.nodes,
          vms: perNode * o.nodes,
          scrapes: o.scrapes,
          first_scrape_ms: r1(first.ms),
          // client wall: request sent to last byte read, loopback, sequential scrapes
          scrape: latency(walls),
          body_bytes: Buffer.byteLength(body),
          series: seriesCount(body).all,
          node_series: seriesCount(body).node,
          // the coordinator's CPU (all threads, 10 ms ticks) over the scrapes, less its rate without them
          coordinator_cpu_ms_per_scrape: r1((cpuMs - idlePerMs * spanMs * 1000) / o.scrapes),
          coordinator_idle_cpu_pct: r1(idlePerMs * 1000 * 100),
          // the coordinator's own event-loop delay max per scrape + gap (prom-client's 10 ms timer: an
          // idle loop reads ~10-11 ms, so a stall of S ms reads ~10 + S)
          eventloop_lag_max_ms: latency(lags),
          // the slowest /healthz answer (another process, one probe at a time) per scrape and its gap
          healthz_max_during_scrape_ms: latency(healthz),
          // the same probes while no scrape ran (the floor: this machine, these agents, the prober)
          healthz_without_scrapes_ms: latency(
            probes.filter(([at]) => at >= idleFrom && at < idleTo).map(([, ms]) => ms),
          ),
          healthz_probes: probes.length,
        },
        o.json,
      );
    } finally {
      agents.close();
      await stopCoordinator(c);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
