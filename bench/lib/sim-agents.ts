// Simulated agents for the heartbeat bench, run in their own process (forked with IPC) so the
// coordinator's CPU is measured alone. Each agent says hello with 16 VMs (or --vms) and beats as the
// real agent does: link version 2 small beats with the VM list's digest and per-VM stats sampled once
// per stats interval, or (mode `full`) version 1 full heartbeats with stats on every beat.
import WebSocket from 'ws';
import {
  SEED003_HOST_RESERVED_CPUS,
  SEED003_SHAPE,
  syntheticTopology,
} from '../../coordinator/placement/testing.js';
import { vmsDigest } from '../../shared/beat.js';
import { type Hello, NODE_AUTH_SCHEME, PROTOCOL_VERSION, type VmReport } from '../../shared/protocol.js';
import { simNodeId, simSecret } from './seed-store.js';
import { simVmReports } from './sim-reports.js';

/** SimConfig is what the parent asks of one sim process. */
export interface SimConfig {
  readonly url: string;
  readonly joinToken: string;
  /** ids are the node ids this process plays */
  readonly from: number;
  readonly count: number;
  readonly concurrency: number;
  readonly vms: number;
  readonly mode: 'delta' | 'full';
  readonly statsEveryMs: number;
  /** everyMs is the forced beat interval; agents beat once the parent says `beat` (all connected) */
  readonly everyMs: number;
}

/** SimCommand is a parent → sim message; SimEvent a sim → parent one. */
export type SimCommand =
  | { cmd: 'connect'; config: SimConfig }
  | { cmd: 'beat' }
  | { cmd: 'count' }
  | { cmd: 'kill'; index: number }
  | { cmd: 'stop' };
export type SimEvent =
  | { ev: 'connected'; welcomeMs: number[] }
  | { ev: 'count'; sent: number; full: number; resyncs: number }
  | { ev: 'killed'; node_id: string; at: number; lastBeatAt: number }
  | { ev: 'error'; message: string };

interface Agent {
  readonly id: string;
  readonly ws: WebSocket;
  readonly vms: VmReport[];
  readonly digest: string;
  timer?: NodeJS.Timeout;
  seq: number;
  statsAt: number;
  lastBeatAt: number;
  resync: boolean;
}

const counts = { sent: 0, full: 0, resyncs: 0 };
let agents: Agent[] = [];
const started: Agent[] = [];
let config: SimConfig;

function hello(id: string, vms: VmReport[], digest: string): Hello {
  return {
    type: 'hello',
    v: config.mode === 'delta' ? PROTOCOL_VERSION : 1,
    node_id: id,
    boot_id: `${id}-boot`,
    reserved: false,
    kvm: true,
    topology: syntheticTopology(SEED003_SHAPE, id) as Hello['topology'],
    host_reserved_cpus: [...SEED003_HOST_RESERVED_CPUS],
    host_reserved_memory_mb: 0,
    vms,
    agent_version: 'bench',
    images_dir: '/var/lib/libvirt/images',
    images: ['blank'],
    ...(config.mode === 'delta' ? { vms_digest: digest } : {}),
  };
}

function connect(id: string): Promise<{ agent: Agent; welcomeMs: number }> {
  return new Promise((resolve, reject) => {
    // enrolled beforehand (seed-store.ts): the node's own credential, as after a coordinator restart
    const authorization = `${NODE_AUTH_SCHEME} ${id}:${simSecret(id)}`;
    const ws = new WebSocket(config.url, { headers: { authorization } });
    const vms = simVmReports(id, config.vms);
    const agent: Agent = {
      id,
      ws,
      vms,
      digest: vmsDigest(vms),
      seq: 0,
      statsAt: 0,
      lastBeatAt: 0,
      resync: false,
    };
    let sentAt = 0;
    ws.once('open', () => {
      sentAt = performance.now();
      ws.send(JSON.stringify(hello(id, vms, agent.digest)));
    });
    ws.once('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string };
      if (msg.type !== 'welcome') return reject(new Error(`Cannot connect ${id}: got ${msg.type}`));
      ws.on('message', (next) => {
        if ((JSON.parse(next.toString()) as { type: string }).type !== 'resync') return;
        agent.resync = true;
        counts.resyncs++;
      });
      resolve({ agent, welcomeMs: performance.now() - sentAt });
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`Cannot connect ${id}: closed ${code}`)));
  });
}

async function connectAll(): Promise<number[]> {
  const welcome: number[] = [];
  const list: Agent[] = new Array(config.count);
  let next = 0;
  const worker = async () => {
    while (next < config.count) {
      const i = next++;
      const { agent, welcomeMs } = await connect(simNodeId(config.from + i));
      list[i] = agent;
      welcome.push(welcomeMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.concurrency, config.count) }, worker));
  agents = list;
  return welcome;
}

const FREE = [0, 1].map((id) => ({ numa_node: id, free_memory_mb: SEED003_SHAPE.memoryMbPerNode }));

/** stats are the per-VM figures a real agent reads from libvirt; cpu time moves every beat. */
function stats(a: Agent): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const now = Date.now();
  for (const vm of a.vms)
    out[vm.vm_id] = {
      'state.state': 1,
      'cpu.time': now * 1000 + a.seq,
      'vcpu.current': 2,
      'balloon.current': 4194304,
      'balloon.rss': 4000000,
      'vcpu.wait': a.seq,
    };
  return out;
}

function beat(a: Agent): void {
  const now = Date.now();
  a.lastBeatAt = now;
  const seq = ++a.seq;
  counts.sent++;
  if (config.mode === 'full') {
    a.ws.send(JSON.stringify({ type: 'heartbeat', seq, free_memory_mb: FREE, vms: a.vms, stats: stats(a) }));
    counts.full++;
    return;
  }
  const sample = now - a.statsAt >= config.statsEveryMs;
  if (sample) a.statsAt = now;
  const extra = sample ? { stats: stats(a) } : {};
  if (a.resync) {
    a.resync = false;
    counts.full++;
    a.ws.send(
      JSON.stringify({
        type: 'heartbeat',
        seq,
        free_memory_mb: FREE,
        vms: a.vms,
        digest: a.digest,
        ...extra,
      }),
    );
    return;
  }
  a.ws.send(JSON.stringify({ type: 'beat', seq, digest: a.digest, free_memory_mb: FREE, ...extra }));
}

/** start beats every `every` ms after a random phase (stats phases too), so the fleet is not in lockstep. */
function start(a: Agent, every: number): void {
  started.push(a);
  a.statsAt = Date.now() - Math.random() * config.statsEveryMs;
  a.timer = setTimeout(() => {
    beat(a);
    a.timer = setInterval(() => beat(a), every);
  }, Math.random() * every);
}

function stopAgent(a: Agent): void {
  clearTimeout(a.timer);
  clearInterval(a.timer);
}

function reply(e: SimEvent): void {
  process.send?.(e);
}

process.on('message', (m: SimCommand) => {
  if (m.cmd === 'connect') {
    config = m.config;
    connectAll().then(
      (welcomeMs) => reply({ ev: 'connected', welcomeMs }),
      (err: Error) => reply({ ev: 'error', message: err.message }),
    );
  } else if (m.cmd === 'beat') for (const a of agents) start(a, config.everyMs);
  else if (m.cmd === 'count') reply({ ev: 'count', ...counts });
  else if (m.cmd === 'kill') {
    // a frozen or powered-off host: its beats stop, its socket says nothing
    const a = agents[m.index]!;
    stopAgent(a);
    reply({ ev: 'killed', node_id: a.id, at: Date.now(), lastBeatAt: a.lastBeatAt });
  } else {
    for (const a of started) {
      stopAgent(a);
      a.ws.terminate();
    }
    process.exit(0);
  }
});
