// Heartbeat ingestion with thousands of simulated agents against the real coordinator process.
// Build, then run: npm run build && node dist/bench/heartbeats.js
// Options: --agents 1000,3000 --heartbeat-ms 1000 (0 = the interval the welcome hands out)
//          --measure-s 10 --concurrency 100 --max-heartbeats-per-second 50
//          --vms 16 (VMs each agent reports in hello and every beat, with per-VM stats, as real agents do)
//          --json (one JSON object per fleet size)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import {
  SEED003_HOST_RESERVED_CPUS,
  SEED003_SHAPE,
  syntheticTopology,
} from '../coordinator/placement/testing.js';
import { type Hello, PROTOCOL_VERSION } from '../shared/protocol.js';

const COORDINATOR_BIN = join(import.meta.dirname, '..', 'coordinator', 'main.js');
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const JOIN_TOKEN = 'bench-join-token-0123456789';

interface Options {
  agents: number[];
  heartbeatMs: number;
  measureS: number;
  concurrency: number;
  maxRate: number;
  vms: number;
  json: boolean;
}

/** SimAgent is one simulated agent: its socket, hello→welcome latency and its current interval. */
interface SimAgent {
  ws: WebSocket;
  vms: Hello['vms'];
  welcomeMs: number;
  intervalMs: number;
  timer?: NodeJS.Timeout;
  seq: number;
  /** retuned counts `interval` messages: the coordinator stretching beats as the fleet grows */
  retuned: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      agents: { type: 'string', default: '1000,3000' },
      'heartbeat-ms': { type: 'string', default: '1000' },
      'measure-s': { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '100' },
      'max-heartbeats-per-second': { type: 'string', default: '50' },
      vms: { type: 'string', default: '16' },
      json: { type: 'boolean', default: false },
    },
  });
  return {
    agents: values.agents.split(',').map(Number),
    heartbeatMs: Number(values['heartbeat-ms']),
    measureS: Number(values['measure-s']),
    concurrency: Number(values.concurrency),
    maxRate: Number(values['max-heartbeats-per-second']),
    vms: Number(values.vms),
    json: values.json,
  };
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

/** startCoordinator runs the compiled coordinator with its log discarded (thousands of connect lines). */
async function startCoordinator(port: number, dataDir: string, maxRate: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      COORDINATOR_BIN,
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--max-heartbeats-per-second',
      String(maxRate),
    ],
    {
      env: { ...process.env, VMPOOL_ADMIN_TOKEN: ADMIN_TOKEN, VMPOOL_JOIN_TOKEN: JOIN_TOKEN },
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('Cannot start coordinator: /healthz never answered');
}

let vmsPerAgent = 16;

/** vmReports are the node's VMs as a real agent reports them: dedicated 2-vCPU VMs, running. */
function vmReports(nodeId: string): Hello['vms'] {
  return Array.from({ length: vmsPerAgent }, (_, i) => ({
    vm_id: `${nodeId}-vm-${i}`,
    name: `${nodeId}-vm-${i}`,
    state: 'running' as const,
    numa_node: i % 2,
    vcpu_pins: [i * 2, i * 2 + 1],
    emulator_cpuset: [],
    memory_mb: 4096,
    vcpu_count: 2,
    cpu_policy: 'dedicated' as const,
    domain_uuid: null,
  }));
}

function hello(nodeId: string): Hello {
  return {
    type: 'hello',
    v: PROTOCOL_VERSION,
    node_id: nodeId,
    boot_id: `${nodeId}-boot`,
    reserved: false,
    kvm: true,
    topology: syntheticTopology(SEED003_SHAPE, nodeId) as Hello['topology'],
    host_reserved_cpus: [...SEED003_HOST_RESERVED_CPUS],
    host_reserved_memory_mb: 0,
    vms: vmReports(nodeId),
    agent_version: 'bench',
    images_dir: '/var/lib/libvirt/images',
    images: ['blank'],
  };
}

/** connectAgent dials, says hello and resolves on the welcome with the measured latency. */
function connectAgent(url: string, nodeId: string): Promise<SimAgent> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${JOIN_TOKEN}` } });
    let sentAt = 0;
    ws.once('open', () => {
      sentAt = performance.now();
      ws.send(JSON.stringify(hello(nodeId)));
    });
    ws.once('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; heartbeat_interval_ms: number };
      if (msg.type !== 'welcome') return reject(new Error(`Cannot connect ${nodeId}: got ${msg.type}`));
      const agent: SimAgent = {
        ws,
        vms: vmReports(nodeId),
        welcomeMs: performance.now() - sentAt,
        intervalMs: msg.heartbeat_interval_ms,
        seq: 0,
        retuned: 0,
      };
      ws.on('message', (next) => onInterval(agent, next.toString()));
      resolve(agent);
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`Cannot connect ${nodeId}: closed ${code}`)));
  });
}

/** connectAll opens n agents with at most `concurrency` handshakes in flight (the listen backlog is finite). */
async function connectAll(url: string, n: number, concurrency: number): Promise<SimAgent[]> {
  const agents: SimAgent[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      agents[i] = await connectAgent(url, `sim-${String(i).padStart(5, '0')}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return agents;
}

/** onInterval follows an `interval` message as the real agent does (unless --heartbeat-ms forces a rate). */
function onInterval(a: SimAgent, text: string): void {
  const msg = JSON.parse(text) as { type: string; heartbeat_interval_ms: number };
  if (msg.type !== 'interval') return;
  a.retuned++;
  a.intervalMs = msg.heartbeat_interval_ms;
  if (forcedMs === 0 && a.timer) schedule(a, a.intervalMs);
}

let forcedMs = 0;

function beat(a: SimAgent): void {
  const free = SEED003_SHAPE.memoryMbPerNode;
  const numa = [0, 1].map((id) => ({ numa_node: id, free_memory_mb: free }));
  // per-VM stats move every beat, as cpu time and balloon figures do
  const stats: Record<string, Record<string, number>> = {};
  for (const vm of a.vms)
    stats[vm.vm_id] = { 'state.state': 1, 'cpu.time': Date.now() * 1000 + a.seq, 'balloon.current': 4194304 };
  a.ws.send(JSON.stringify({ type: 'heartbeat', seq: ++a.seq, free_memory_mb: numa, vms: a.vms, stats }));
}

/** schedule beats every `every` ms after a random phase, so the fleet does not beat in lockstep. */
function schedule(a: SimAgent, every: number): void {
  clearTimeout(a.timer);
  clearInterval(a.timer);
  a.timer = setTimeout(() => {
    beat(a);
    a.timer = setInterval(() => beat(a), every);
  }, Math.random() * every);
}

function startBeats(agents: SimAgent[], overrideMs: number): void {
  forcedMs = overrideMs;
  for (const a of agents) schedule(a, overrideMs > 0 ? overrideMs : a.intervalMs);
}

async function heartbeatsTotal(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^vmpool_heartbeats_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return Math.round(kb / 102.4) / 10;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function runOnce(n: number, o: Options): Promise<void> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'vmpool-bench-hb-'));
  const coord = await startCoordinator(port, dataDir, o.maxRate);
  try {
    const rssIdle = rssMb(coord.pid!);
    const t0 = performance.now();
    const agents = await connectAll(`ws://127.0.0.1:${port}/v1/agents/connect`, n, o.concurrency);
    const connectS = (performance.now() - t0) / 1000;
    const rssConnected = rssMb(coord.pid!);
    startBeats(agents, o.heartbeatMs);
    await sleep(Math.min(o.heartbeatMs || 5_000, 5_000)); // warm up: every agent has beaten at least once
    const before = await heartbeatsTotal(port);
    const m0 = performance.now();
    const cpu0 = cpuTicks(coord.pid!);
    const health = probeHealth(port, o.measureS * 1000);
    await sleep(o.measureS * 1000);
    const cpuPct = ((cpuTicks(coord.pid!) - cpu0) / CLOCK_TICKS / ((performance.now() - m0) / 1000)) * 100;
    const healthMs = (await health).sort((a, b) => a - b);
    const ingested = (await heartbeatsTotal(port)) - before;
    const rate = ingested / ((performance.now() - m0) / 1000);
    const rssBeating = rssMb(coord.pid!);
    const welcome = agents.map((a) => a.welcomeMs).sort((a, b) => a - b);
    const intervals = agents.map((a) => a.intervalMs).sort((a, b) => a - b);
    const offered =
      o.heartbeatMs > 0 ? (n * 1000) / o.heartbeatMs : agents.reduce((s, a) => s + 1000 / a.intervalMs, 0);
    if (o.json) {
      console.log(
        JSON.stringify({
          bench: 'heartbeats',
          agents: n,
          vms_per_agent: o.vms,
          heartbeat_ms: o.heartbeatMs,
          offered_per_s: Math.round(offered),
          ingested_per_s: Math.round(rate),
          held: rate >= offered * 0.95,
          coordinator_cpu_pct: Math.round(cpuPct),
          healthz_p50_ms: round(percentile(healthMs, 50)),
          healthz_p99_ms: round(percentile(healthMs, 99)),
          healthz_max_ms: round(healthMs.at(-1) ?? Number.NaN),
          connect_s: round(connectS),
          rss_mb: { idle: rssIdle, connected: rssConnected, beating: rssBeating },
        }),
      );
    } else
      console.log(
        [
          `agents ${n}`,
          `  connect all:           ${connectS.toFixed(2)} s (${Math.round(n / connectS)} agents/s, ${o.concurrency} in flight)`,
          `  hello→welcome:         p50 ${percentile(welcome, 50).toFixed(1)} ms, p99 ${percentile(welcome, 99).toFixed(1)} ms, max ${welcome.at(-1)!.toFixed(1)} ms`,
          `  interval (current):    ${intervals[0]}-${intervals.at(-1)} ms, ${agents.filter((a) => a.retuned > 0).length} agents retuned (beating ${o.heartbeatMs > 0 ? `every ${o.heartbeatMs} ms, forced` : 'as told'})`,
          `  heartbeats ingested:   ${rate.toFixed(0)}/s of ${offered.toFixed(0)}/s offered (${ingested} in ${o.measureS} s, vmpool_heartbeats_total)`,
          `  coordinator RSS:       ${rssIdle} MiB idle, ${rssConnected} MiB connected, ${rssBeating} MiB beating`,
          `  coordinator CPU:       ${cpuPct.toFixed(0)} % of one core while beating`,
          `  /healthz:              p50 ${percentile(healthMs, 50).toFixed(1)} ms, p99 ${percentile(healthMs, 99).toFixed(1)} ms (${healthMs.length} probes)`,
        ].join('\n'),
      );
    for (const a of agents) {
      clearTimeout(a.timer);
      clearInterval(a.timer);
      a.ws.terminate();
    }
  } finally {
    coord.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const CLOCK_TICKS = 100;

/** cpuTicks is the process's user + system time in clock ticks (/proc/<pid>/stat fields 14 and 15). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

// The probe runs in its own process: the bench's event loop is busy sending beats and would add its own delay.
const PROBE = `
const [port, forMs] = process.argv.slice(1).map(Number);
const out = [];
const end = performance.now() + forMs;
while (performance.now() < end) {
  const t = performance.now();
  await fetch('http://127.0.0.1:' + port + '/healthz').then((r) => r.arrayBuffer(), () => undefined);
  out.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - t))));
}
console.log(JSON.stringify(out));
`;

/** probeHealth asks /healthz every 100 ms for `forMs` from a child process and returns each latency. */
function probeHealth(port: number, forMs: number): Promise<number[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE, String(port), String(forMs)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.on('close', () => resolve(text ? (JSON.parse(text) as number[]) : []));
  });
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const opts = parseOptions();
vmsPerAgent = opts.vms;
if (!opts.json)
  console.log(
    `node ${process.version}, heartbeat bench: agents ${opts.agents.join(',')}, measure ${opts.measureS} s`,
  );
for (const n of opts.agents) await runOnce(n, opts);
