// Simulated agents for the benches: one module for the heartbeat bench (link v2 beats with stats,
// run in forked processes by sim-proc.ts) and the creates bench (v1 full beats, spawns acked at once,
// in-process). Beats come from one clock per process (a 10 ms wheel, not a timer per agent) and are
// built from strings kept per agent, so a process can hold thousands of beats per second.
import WebSocket from 'ws';
import {
  SEED003_HOST_RESERVED_CPUS,
  SEED003_SHAPE,
  syntheticTopology,
} from '../../coordinator/placement/testing.js';
import { vmsDigest } from '../../shared/beat.js';
import {
  type Hello,
  NODE_AUTH_SCHEME,
  PROTOCOL_VERSION,
  type SpawnOrder,
  type VmReport,
} from '../../shared/protocol.js';
import { BeatClock } from './beat-clock.js';
import { simSecret } from './seed-store.js';
import { simVmReports } from './sim-reports.js';

/** SimOptions say how the simulated agents dial, what they report and how they beat. */
export interface SimOptions {
  readonly url: string;
  /** auth: `node` dials with the credential seedStore enrolled; a join token enrols the node */
  readonly auth: { kind: 'node' } | { kind: 'join'; token: string };
  /** beats: v2 small beats (full list only on change or resync); v1 the full list every beat */
  readonly beats: 'v2' | 'v1';
  /** vms each agent reports at hello (simVmReports) */
  readonly vms: number;
  /** statsEveryMs: per-VM stats every this often (v2) or on every beat (v1); 0: none */
  readonly statsEveryMs: number;
  /** ack answers spawn and destroy at once; the VM shows up in the agent's later beats */
  readonly ack: boolean;
  /** everyMs forces the beat interval; absent, the coordinator's (welcome, interval) is kept */
  readonly everyMs?: number;
  /** beatFromWelcome starts an agent's beats as soon as it is welcomed, not at start() */
  readonly beatFromWelcome?: boolean;
  /** concurrency is how many handshakes are in flight while connecting */
  readonly concurrency: number;
  /** pingEachBeat sends a WebSocket ping before every beat, as the real agent does (agent/link/client.ts: its RTT figure) */
  readonly pingEachBeat?: boolean;
}

/**
 * SimCounts are what the agents sent: every beat, the full ones, and resyncs asked for; and how late
 * the simulator itself sent beats (a starved simulator process looks like silent agents).
 */
export interface SimCounts {
  sent: number;
  full: number;
  resyncs: number;
  /** lateBeats were sent more than 1 s after they were due */
  lateBeats: number;
  maxLateMs: number;
}

/** Agent is one simulated node. */
export interface Agent {
  readonly id: string;
  readonly ws: WebSocket;
  vms: VmReport[];
  digest: string;
  /** vmsJson is the VM list as sent, built again only when it changes */
  vmsJson: string | null;
  /** full: the next beat carries the whole list (v2: it changed, or the coordinator asked) */
  full: boolean;
  everyMs: number;
  dueAt: number;
  statsAt: number;
  seq: number;
  lastBeatAt: number;
  stopped: boolean;
}

const FREE_JSON = JSON.stringify(
  [0, 1].map((id) => ({ numa_node: id, free_memory_mb: SEED003_SHAPE.memoryMbPerNode })),
);

/** SimFleet is the simulated agents of one process. */
export class SimFleet {
  readonly counts: SimCounts = { sent: 0, full: 0, resyncs: 0, lateBeats: 0, maxLateMs: 0 };
  agents: Agent[] = [];
  private readonly clock = new BeatClock<Agent>((a, now) => this.beat(a, now));

  constructor(private readonly o: SimOptions) {}

  /** connect dials every id with at most `concurrency` handshakes in flight; returns each welcome's ms. */
  async connect(ids: readonly string[]): Promise<number[]> {
    const welcome: number[] = [];
    const list: Agent[] = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        const { agent, welcomeMs } = await this.dial(ids[i]!);
        list[i] = agent;
        welcome.push(welcomeMs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, ids.length) }, worker));
    this.agents = list;
    return welcome;
  }

  /** start begins every agent's beats after a random phase, so the fleet does not beat in lockstep. */
  start(): void {
    for (const a of this.agents) this.schedule(a);
  }

  /** kill silences one agent as a frozen host: beats stop, its socket stays open and says nothing. */
  kill(index: number): { node_id: string; lastBeatAt: number } {
    const a = this.agents[index]!;
    a.stopped = true;
    return { node_id: a.id, lastBeatAt: a.lastBeatAt };
  }

  /** close stops every beat and drops every socket. */
  close(): void {
    this.clock.stop();
    for (const a of this.agents) {
      a.stopped = true;
      a.ws.terminate();
    }
  }

  private schedule(a: Agent): void {
    const now = Date.now();
    a.statsAt = now - Math.random() * this.o.statsEveryMs;
    a.dueAt = now + Math.random() * a.everyMs;
    this.clock.add(a);
  }

  private dial(id: string): Promise<{ agent: Agent; welcomeMs: number }> {
    const authorization =
      this.o.auth.kind === 'node'
        ? `${NODE_AUTH_SCHEME} ${id}:${simSecret(id)}`
        : `Bearer ${this.o.auth.token}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.o.url, { headers: { authorization } });
      const vms = simVmReports(id, this.o.vms);
      const agent: Agent = {
        id,
        ws,
        vms,
        digest: vmsDigest(vms),
        vmsJson: null,
        full: false,
        everyMs: this.o.everyMs ?? 5_000,
        dueAt: 0,
        statsAt: 0,
        seq: 0,
        lastBeatAt: 0,
        stopped: false,
      };
      let sentAt = 0;
      ws.once('open', () => {
        sentAt = performance.now();
        ws.send(JSON.stringify(this.hello(agent)));
      });
      ws.once('message', (data) => {
        const msg = JSON.parse(data.toString()) as { type: string; heartbeat_interval_ms?: number };
        if (msg.type !== 'welcome') return reject(new Error(`Cannot connect ${id}: got ${msg.type}`));
        if (this.o.everyMs === undefined) agent.everyMs = msg.heartbeat_interval_ms ?? agent.everyMs;
        ws.on('message', (next) => this.onMessage(agent, next.toString()));
        if (this.o.beatFromWelcome) this.schedule(agent);
        resolve({ agent, welcomeMs: performance.now() - sentAt });
      });
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`Cannot connect ${id}: closed ${code}`)));
    });
  }

  private hello(a: Agent): Hello {
    const v2 = this.o.beats === 'v2';
    return {
      type: 'hello',
      v: v2 ? PROTOCOL_VERSION : 1,
      node_id: a.id,
      boot_id: `${a.id}-boot`,
      reserved: false,
      kvm: true,
      topology: syntheticTopology(SEED003_SHAPE, a.id) as Hello['topology'],
      host_reserved_cpus: [...SEED003_HOST_RESERVED_CPUS],
      host_reserved_memory_mb: 0,
      vms: a.vms,
      agent_version: 'bench',
      images_dir: '/var/lib/libvirt/images',
      images: ['debian', 'blank'],
      ...(v2 ? { vms_digest: a.digest } : {}),
    };
  }

  private onMessage(a: Agent, text: string): void {
    const msg = JSON.parse(text) as {
      type: string;
      request_id?: string;
      vm?: SpawnOrder;
      vm_id?: string;
      heartbeat_interval_ms?: number;
    };
    if (msg.type === 'resync') {
      a.full = true;
      this.counts.resyncs++;
    } else if (msg.type === 'interval' && this.o.everyMs === undefined) {
      a.everyMs = msg.heartbeat_interval_ms ?? a.everyMs;
    } else if (this.o.ack && msg.type === 'spawn' && msg.vm) {
      const vm = spawned(msg.vm);
      this.changed(a, [...a.vms, vm]);
      a.ws.send(JSON.stringify({ type: 'spawn_result', request_id: msg.request_id, ok: true, vm }));
    } else if (this.o.ack && msg.type === 'destroy') {
      this.changed(
        a,
        a.vms.filter((v) => v.vm_id !== msg.vm_id),
      );
      a.ws.send(JSON.stringify({ type: 'destroy_result', request_id: msg.request_id, ok: true }));
    }
  }

  private changed(a: Agent, vms: VmReport[]): void {
    a.vms = vms;
    a.vmsJson = null;
    if (this.o.beats === 'v2') {
      a.digest = vmsDigest(vms);
      a.full = true;
    }
  }

  /** beat sends one beat; returns false once the agent is stopped (the clock drops it). */
  private beat(a: Agent, now: number): boolean {
    if (a.stopped) return false;
    const late = now - a.dueAt;
    if (late > 1_000) this.counts.lateBeats++;
    if (late > this.counts.maxLateMs) this.counts.maxLateMs = late;
    a.lastBeatAt = now;
    if (this.o.pingEachBeat) a.ws.ping(); // the coordinator answers each with a pong
    const seq = ++a.seq;
    this.counts.sent++;
    const v1 = this.o.beats === 'v1';
    const sample = this.o.statsEveryMs > 0 && (v1 || now - a.statsAt >= this.o.statsEveryMs);
    if (sample) a.statsAt = now;
    const stats = sample ? `,"stats":${statsJson(a, now)}` : '';
    if (v1 || a.full) {
      a.full = false;
      this.counts.full++;
      a.vmsJson ??= JSON.stringify(a.vms);
      const digest = v1 ? '' : `,"digest":"${a.digest}"`;
      a.ws.send(
        `{"type":"heartbeat","seq":${seq},"free_memory_mb":${FREE_JSON},"vms":${a.vmsJson}${digest}${stats}}`,
      );
      return true;
    }
    a.ws.send(`{"type":"beat","seq":${seq},"digest":"${a.digest}","free_memory_mb":${FREE_JSON}${stats}}`);
    return true;
  }
}

/** statsJson is the per-VM figures a real agent reads from libvirt; cpu time moves every sample. */
function statsJson(a: Agent, now: number): string {
  let out = '';
  for (const vm of a.vms) {
    if (out) out += ',';
    out += `"${vm.vm_id}":{"state.state":1,"cpu.time":${now * 1000 + a.seq},"vcpu.current":2,"balloon.current":4194304,"balloon.rss":4000000,"vcpu.wait":${a.seq}}`;
  }
  return `{${out}}`;
}

/** spawned is the report of a VM the simulated agent "started" at once. */
function spawned(o: SpawnOrder): VmReport {
  return {
    vm_id: o.vm_id,
    name: o.name,
    vmid: o.vmid,
    tenant: o.tenant,
    state: 'running',
    numa_node: o.numa_node,
    vcpu_pins: o.vcpu_pins,
    emulator_cpuset: o.emulator_cpuset,
    memory_mb: o.memory_mb,
    vcpu_count: o.vcpu_count,
    cpu_policy: o.cpu_policy,
    domain_uuid: null,
  };
}
