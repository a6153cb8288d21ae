// Creates through HTTP against the real coordinator process: --nodes simulated agents that ack
// spawns at once, a store pre-filled to --vms VMs (on other, absent nodes), --concurrency clients.
// npm run bench -- creates --nodes 10000 --vms 100000 [--creates 2000] [--concurrency 32] [--idle-s 5] [--json]
// --warmup W first runs W creates the same way (not counted; their p50/p99 are reported apart), so
// the figures are those of a coordinator that has served creates before, not of its first second.
// --idle-after-s S waits S seconds after the agents connected before the idle CPU is sampled (the
// link pings a quiet socket only after a silence that grows with the fleet: 60 s at 10,000 agents).
// --rate R (open loop) starts R creates a second on a fixed schedule instead of K closed-loop clients;
// latency then counts from each create's scheduled start (see lib/create-load.ts).
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureSource, writeSnapshot } from '../coordinator/store/snapshot-writer.js';
import {
  BENCH_ADMIN_TOKEN,
  BENCH_JOIN_TOKEN,
  startCoordinator,
  stopCoordinator,
} from './lib/coordinator-proc.js';
import { benchState } from './lib/fleet-state.js';
import { simNodeId } from './lib/seed-store.js';
import { SimFleet } from './lib/sim-agents.js';
import { cpuSeconds, mainThreadCpuSeconds } from './lib/proc-stats.js';
import { fdatasyncFloor } from './lib/fsync-floor.js';
import { choice, decimal, flag, integer } from './lib/option-kinds.js';
import { type OptionValues, parseOptions } from './lib/options.js';
import { emit, latency, nowMs } from './lib/stats.js';
import { closedLoop, openLoop, type PostCreate } from './lib/create-load.js';
import { startGcWindow } from './lib/gc-scrape.js';

/** OPTIONS are the creates bench's flags (bench/main.ts prints them for --help). */
const OPTIONS = {
  nodes: integer({ min: 1, default: 10000 }),
  vms: integer({ min: 0, default: 100000 }),
  creates: integer({ min: 1, default: 2000 }),
  concurrency: integer({ min: 1, default: 32 }),
  /** creates started per second in the open loop; 0: closed loop of `concurrency` clients */
  rate: decimal({ min: 0, default: 0 }),
  /** open loop: most creates outstanding at once */
  maxInflight: integer({ min: 1, default: 2000 }),
  /** how long the idle coordinator's CPU (agents connected, no creates) is sampled */
  idleS: decimal({ above: 0, default: 5 }),
  /** seconds to wait after the agents connected before the idle sample */
  idleAfterS: decimal({ min: 0, default: 0 }),
  /** creates run first, the same way, and not counted (their latency is reported apart) */
  warmup: integer({ min: 0, default: 0 }),
  /** discard: stderr to /dev/null (JSON-line sink); journald: native entries to a real journald, as under systemd */
  log: choice(['discard', 'journald'], 'discard'),
  json: flag(),
};

type Options = OptionValues<typeof OPTIONS>;

/** SCRAPE_SETTLE_MS separates the bench's /metrics scrape (its GC window's start) from the first create. */
const SCRAPE_SETTLE_MS = 1000;

// node:http with kept-alive sockets: the load generator shares the machine's two cores with the
// coordinator, and undici's fetch costs more CPU per request
const keepAlive = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

function api(url: string, method: string, path: string, token: string, body?: unknown) {
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise<{ status: number; body: Record<string, unknown> | null }>((resolve, reject) => {
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    };
    const req = request(`${url}${path}`, { method, headers, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: Record<string, unknown> | null = null;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {}
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** sysSeconds is a process's system (kernel) CPU time so far: syscalls, fdatasync, socket writes. */
function sysSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[12]) / 100;
}

/** createAll posts --creates 2-vCPU VMs in the closed loop, or in the open loop when --rate is set. */
function createAll(url: string, token: string, o: Options, count = o.creates, prefix = 'c') {
  const post: PostCreate = async (i) => {
    const body = {
      name: `${prefix}-${i}`,
      vcpu_count: 2,
      memory_mb: 2048,
      disk_size_gb: 10,
      image: 'debian',
    };
    // a connection refused or reset counts as a refusal under its code, not as the bench's failure
    const r = await api(url, 'POST', '/v1/vms', token, body).catch((err: NodeJS.ErrnoException) => ({
      status: 0,
      body: { code: `request_failed:${err.code ?? err.message}` } as Record<string, unknown>,
    }));
    return r.status === 201
      ? { status: r.status }
      : { status: r.status, code: String(r.body?.code ?? r.status) };
  };
  return o.rate > 0 ? openLoop(post, count, o.rate, o.maxInflight) : closedLoop(post, count, o.concurrency);
}

/** run pre-fills the store, starts the coordinator, connects the agents and creates. */
export async function run(argv: string[]): Promise<void> {
  const o = parseOptions(argv, OPTIONS);
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-bench-creates-'));
  try {
    const prefilled = benchState(
      o.vms,
      Math.max(1, Math.ceil(o.vms / 1000)),
      Math.max(1, Math.ceil(o.vms / 10)),
    );
    await writeSnapshot(join(dir, 'state.json'), captureSource(prefilled), 0, () => undefined);
    // every agent holds a connection; the per-token rate limit would measure itself, not creates
    const c = await startCoordinator(
      dir,
      [
        '--max-connections',
        String(o.nodes + 2 * (o.rate > 0 ? o.maxInflight : o.concurrency) + 100),
        '--rate-limit-per-second',
        '1000000',
      ],
      o.log,
    );
    try {
      const t0 = nowMs();
      // v1 agents that enrol with the join token, ack spawns at once and beat from their welcome on
      const agents = new SimFleet({
        url: `${c.url.replace('http', 'ws')}/v1/agents/connect`,
        auth: { kind: 'join', token: BENCH_JOIN_TOKEN },
        beats: 'v1',
        vms: 0,
        statsEveryMs: 0,
        ack: true,
        beatFromWelcome: true,
        concurrency: 100,
      });
      await agents.connect(Array.from({ length: o.nodes }, (_, i) => simNodeId(i)));
      const connectS = (nowMs() - t0) / 1000;
      const tenant = await api(c.url, 'POST', '/v1/tenants', BENCH_ADMIN_TOKEN, {
        name: 'bench-creates',
        quota: { vcpus: 1_000_000, memory_mb: 1_000_000_000, vms: 100_000, disk_gb: 100_000_000 },
      });
      const token = String(tenant.body?.token);
      // what the coordinator spends with every agent connected and beating, before any create
      await sleep(o.idleAfterS * 1000);
      const idle0 = cpuSeconds(c.child.pid ?? 0);
      await sleep(o.idleS * 1000);
      const idleCpuS = (cpuSeconds(c.child.pid ?? 0) - idle0) / o.idleS;
      const warm = o.warmup > 0 ? await createAll(c.url, token, o, o.warmup, 'w') : null;
      const gcWindow = await startGcWindow(c.url);
      // that scrape renders every node's series (~0.1 s at 10,000 nodes) and leaves garbage: let it
      // settle, so the first creates measure creates and not the bench's own scrape
      await sleep(SCRAPE_SETTLE_MS);
      const cpu0 = cpuSeconds(c.child.pid ?? 0);
      const main0 = mainThreadCpuSeconds(c.child.pid ?? 0);
      const self0 = process.cpuUsage();
      const sys0 = sysSeconds(c.child.pid ?? 0);
      const journald0 = c.journaldPid === undefined ? 0 : cpuSeconds(c.journaldPid);
      const r = await createAll(c.url, token, o);
      const journaldS = c.journaldPid === undefined ? 0 : cpuSeconds(c.journaldPid) - journald0;
      const cpuS = cpuSeconds(c.child.pid ?? 0) - cpu0;
      const mainS = mainThreadCpuSeconds(c.child.pid ?? 0) - main0;
      const sysS = sysSeconds(c.child.pid ?? 0) - sys0;
      const pauses = await gcWindow();
      const self = process.cpuUsage(self0);
      agents.close();
      const ok = o.creates - Object.values(r.refused).reduce((a, b) => a + b, 0);
      // the same disk, right after: a create waits for two durable points, neither can beat this
      const floor = await fdatasyncFloor(dir, 300);
      emit(
        {
          bench: 'creates',
          nodes: o.nodes,
          prefilled_vms: o.vms,
          ...(o.rate > 0
            ? { mode: 'open', rate: o.rate, max_inflight: r.maxInflight }
            : { mode: 'closed', concurrency: o.concurrency }),
          log: o.log,
          coordinator_start_ms: Math.round(c.startMs),
          ...(warm
            ? {
                warmup: {
                  creates: o.warmup,
                  refused: warm.refused,
                  creates_per_s: Math.round((o.warmup / warm.seconds) * 10) / 10,
                  ...latency(warm.times),
                },
              }
            : {}),
          agents_connect_s: Math.round(connectS * 10) / 10,
          created: ok,
          refused: r.refused,
          creates_per_s: Math.round((ok / r.seconds) * 10) / 10,
          // open loop: from each create's scheduled start, so queueing is counted
          ...latency(r.times),
          coordinator_cpu_pct: Math.round((cpuS / r.seconds) * 100),
          // CPU time, not wall: what one create costs the coordinator however loaded the machine is
          coordinator_cpu_ms_per_create: Math.round((cpuS / o.creates) * 1e4) / 10,
          // of which on the main thread, where creates queue (the rest: thread pool, GC helpers)
          coordinator_main_thread_pct: Math.round((mainS / r.seconds) * 100),
          coordinator_main_thread_ms_per_create: Math.round((mainS / o.creates) * 1e5) / 100,
          // of which in the kernel (the rest is JavaScript, GC and libuv in user space)
          coordinator_sys_ms_per_create: Math.round((sysS / o.creates) * 1e4) / 10,
          // the same, less the idle fleet's share (heartbeats, sweeps) over the creates' wall time
          coordinator_idle_cpu_pct: Math.round(idleCpuS * 100),
          coordinator_cpu_ms_per_create_net:
            Math.round((Math.max(0, cpuS - idleCpuS * r.seconds) / o.creates) * 1e4) / 10,
          // the bench process (HTTP clients and every simulated agent) shares the same 2 cores
          bench_cpu_pct: Math.round(((self.user + self.system) / 1e6 / r.seconds) * 100),
          ...(c.journaldPid === undefined
            ? {}
            : {
                // the journal's side of the coordinator's log lines, on the same 2 cores
                journald_cpu_pct: Math.round((journaldS / r.seconds) * 100),
                // as on a systemd host (PID 1 raises the kernel's 10): restored after the run
                unix_max_dgram_qlen: Number(readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8')),
                journald_cpu_ms_per_create: Math.round((journaldS / o.creates) * 1e5) / 100,
                // bytes the logger wrote to stderr because a native send failed (0 when all reached journald)
                log_fallback_bytes: statSync(join(dir, 'coordinator.stderr')).size,
              }),
          fdatasync_floor: floor,
          // the coordinator's GC pauses and event-loop delay during the creates (its /metrics)
          coordinator_gc: pauses.gc,
          coordinator_eventloop_lag_p99_ms: pauses.eventloop_lag_p99_ms,
          coordinator_eventloop_lag_max_ms: pauses.eventloop_lag_max_ms,
        },
        o.json,
      );
    } finally {
      await stopCoordinator(c);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
