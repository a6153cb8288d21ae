// Heartbeat ingestion: simulated agents (in their own processes) against the real coordinator process.
// npm run bench -- heartbeats [options]
//   --agents 1000,3000     fleet sizes, one run each
//   --vms 16               VMs each agent reports (hello, full heartbeats) with per-VM stats, as real agents do
//   --mode delta|full      delta (default): link v2 small beats + stats every --stats-every-ms;
//                          full: link v1, the full VM list and stats on every beat (older agents)
//   --heartbeat-ms 1000    forced beat interval; the coordinator is told to expect it (--min-heartbeat-ms)
//   --missed 2             --missed-heartbeats for the coordinator (down after missed × interval)
//   --measure-s 10         measuring window; killed agents' detection and false downs span it
//   --kills 1              agents silenced over the window (spread in time, simulators and indices);
//                          each one's node.down is timed and split (silence, bound, stall credit, …)
//   --scrape-after-kill-ms N  (diagnostics) GET /metrics N ms after each kill: its render stalls the
//                          coordinator inside the killed node's silence (off by default: the
//                          window then also holds scrapes, so /healthz figures are not comparable)
//   --sim-procs 1          processes the simulated agents are spread over
//   --sim-nice=0           nice value of the simulator processes (e.g. --sim-nice=-5 on a shared machine)
//   --concurrency 100      handshakes in flight while connecting
//   --ping each|none       each (default): a WebSocket ping before every beat, as real agents send
//                          (the coordinator answers each with a pong); none: beats only (waves 4-6)
//   --json                 one JSON object per fleet size
// Reports the coordinator's CPU apart from the simulators' (sim_cpu_pct, one per process) and the
// whole machine's (machine_busy_pct). BENCH_COORDINATOR_NODE_ARGS adds node flags to the coordinator
// (--cpu-prof, --trace-gc, --import …); BENCH_COORDINATOR_LOG keeps its stdout/stderr in a file;
// BENCH_HEALTHZ_SLOW_LOG=<file> gets the wall-clock start and latency of every /healthz probe ≥ 20 ms
// (to match slow probes with the coordinator's GC trace).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bucketQuantile,
  cpuSeconds,
  probeHealth,
  rssMb,
  scrape,
  watchDowns,
} from './lib/coordinator-probe.js';
import { type Options, parseOptions } from './lib/heartbeat-options.js';
import { seedStore } from './lib/seed-store.js';
import type { SimOptions } from './lib/sim-agents.js';
import type { SimCommand } from './lib/sim-proc.js';
import { killFigures, killPlan, runKills, summarizeKills } from './lib/sim-kills.js';
import { sentTotals, startSim } from './lib/sim-procs.js';
import { machineBusy } from './lib/proc-stats.js';
import { percentile } from './lib/stats.js';

const COORDINATOR_BIN = join(import.meta.dirname, '..', 'coordinator', 'main.js');
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const JOIN_TOKEN = 'bench-join-token-0123456789';

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

/** startCoordinator runs the compiled coordinator told to expect beats every `o.heartbeatMs`. */
async function startCoordinator(port: number, dataDir: string, n: number, o: Options): Promise<ChildProcess> {
  const args = [
    ...['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir],
    ...['--min-heartbeat-ms', String(o.heartbeatMs), '--missed-heartbeats', String(o.missed)],
    ...['--max-connections', String(n + 100)], // every agent holds one
    // a cap above the fleet's rate: the interval handed out stays the forced one
    ...['--max-heartbeats-per-second', String(Math.ceil((2 * n * 1000) / o.heartbeatMs) + 10)],
  ];
  // BENCH_COORDINATOR_NODE_ARGS: extra node flags for the coordinator (e.g. --cpu-prof --cpu-prof-dir=DIR)
  const nodeArgs = (process.env.BENCH_COORDINATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BENCH_COORDINATOR_LOG: a file for the coordinator's stdout/stderr (its log lines, --trace-gc)
  const logPath = process.env.BENCH_COORDINATOR_LOG;
  const logFd = logPath ? openSync(logPath, 'a') : 'ignore';
  const child = spawn(process.execPath, [...nodeArgs, COORDINATOR_BIN, ...args], {
    env: { ...process.env, VMPOOL_ADMIN_TOKEN: ADMIN_TOKEN, VMPOOL_JOIN_TOKEN: JOIN_TOKEN },
    stdio: ['ignore', logFd, logFd],
  });
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

async function runOnce(n: number, o: Options): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'vmpool-bench-hb-'));
  const s0 = performance.now();
  await seedStore(dataDir, n, o.vms);
  const seedS = (performance.now() - s0) / 1000;
  const c0 = performance.now();
  const coord = await startCoordinator(port, dataDir, n, o);
  const startS = (performance.now() - c0) / 1000;
  const pid = coord.pid!;
  const sims = Array.from({ length: Math.min(o.simProcs, n) }, startSim);
  // on a shared machine a starved simulator sends late beats, which look like silent agents
  for (const s of sims) if (o.simNice !== 0) setPriority(s.child.pid!, o.simNice);
  try {
    const rssIdle = rssMb(pid);
    const watch = await watchDowns(base, ADMIN_TOKEN);
    const t0 = performance.now();
    const t0Wall = Date.now();
    const per = Math.ceil(n / sims.length);
    const perSim = sims.map((_, i) => Math.min(per, n - i * per));
    const welcomes = await Promise.all(
      sims.map((s, i) => {
        const options: SimOptions = {
          url: `ws://127.0.0.1:${port}/v1/agents/connect`,
          auth: { kind: 'node' }, // enrolled by seedStore, as after a coordinator restart
          beats: o.mode === 'delta' ? 'v2' : 'v1',
          vms: o.vms,
          statsEveryMs: o.statsEveryMs,
          ack: false,
          everyMs: o.heartbeatMs,
          concurrency: Math.ceil(o.concurrency / sims.length),
          pingEachBeat: o.ping,
        };
        const count = perSim[i]!;
        return s.ask({ cmd: 'connect', options, from: i * per, count }, 'connected');
      }),
    );
    const connectS = (performance.now() - t0) / 1000;
    const welcome = welcomes.flatMap((w) => w.welcomeMs).sort((a, b) => a - b);
    const rssConnected = rssMb(pid);
    // beats start once every agent is connected: a 10,000-agent connect on 2 shared cores takes a
    // while, and agents beating meanwhile slowed the handshakes past the coordinator's header timeout
    const silentSince = Date.now();
    for (const s of sims) s.child.send({ cmd: 'beat' } satisfies SimCommand);
    await sleep(Math.max(3 * o.heartbeatMs, 3_000)); // every agent has beaten; the first reconciles are done
    const downsConnecting = watch.downs.length;

    // /metrics renders per-node series (O(nodes + VMs) per scrape): read it outside the window and
    // let its stall pass, so the window measures heartbeats; the scrape's own cost is reported
    const sent0 = await sentTotals(sims);
    const s0At = performance.now();
    const k0 = performance.now();
    const scrapeAt = Date.now();
    const before = await scrape(base);
    const k1 = performance.now();
    const scrapeMs = k1 - k0;
    await sleep(3_000);
    const w0 = Date.now();
    const m0 = performance.now();
    const cpu0 = cpuSeconds(pid);
    const simCpu0 = sims.map((x) => cpuSeconds(x.child.pid!));
    const busy0 = machineBusy();
    const health = probeHealth(port, o.measureS * 1000);
    // agents die silently, spread over the window; each must be seen down before it ends
    const afterKill =
      o.scrapeAfterKillMs === null ? undefined : { delayMs: o.scrapeAfterKillMs, fn: () => scrape(base) };
    const killing = runKills(killPlan(o.kills, perSim, o.measureS * 1000), sims, m0, afterKill);
    await sleep(o.measureS * 1000);
    const killed = await killing;
    const healthMs = (await health).sort((a, b) => a - b);
    const windowS = (performance.now() - m0) / 1000;
    const cpuPct = ((cpuSeconds(pid) - cpu0) / windowS) * 100;
    const simCpuPct = sims.map((x, i) => ((cpuSeconds(x.child.pid!) - simCpu0[i]!) / windowS) * 100);
    const busy = machineBusy(busy0);
    const w1 = Date.now();
    const sent1 = await sentTotals(sims);
    const s1At = performance.now();
    const a0 = performance.now();
    const after = await scrape(base);
    const a1 = performance.now();
    watch.stop();

    const killedIds = new Set(killed.map((k) => k.node_id));
    const kills = killFigures(killed, watch.downs);
    const inWindow = watch.downs.filter((d) => d.at >= w0 && d.at <= w1 && !killedIds.has(d.node_id));
    const afterScrape = watch.downs.filter((d) => d.at >= scrapeAt && d.at < w0);
    // each rate over its own span: sends between the two counts, beats between the two scrapes' midpoints
    const sentPerS = (sent1.sent - sent0.sent) / ((s1At - s0At) / 1000);
    const ingestedPerS = (after.heartbeats - before.heartbeats) / ((a0 + a1 - k0 - k1) / 2 / 1000);
    const result = {
      bench: 'heartbeats',
      mode: o.mode,
      agents: n,
      vms_per_agent: o.vms,
      heartbeat_ms: o.heartbeatMs,
      ping_each_beat: o.ping,
      measure_s: o.measureS,
      scrape_after_kill_ms: o.scrapeAfterKillMs,
      sent_per_s: Math.round(sentPerS),
      ingested_per_s: Math.round(ingestedPerS),
      held: ingestedPerS >= 0.95 * sentPerS,
      full_heartbeats: sent1.full - sent0.full,
      resyncs: sent1.resyncs - sent0.resyncs,
      // the simulators' own lateness in the window: beats sent > 1 s after due, and the worst (ms,
      // whole run); a node whose beat the simulator sent late is silent, not falsely down
      sim_late_beats: sent1.lateBeats - sent0.lateBeats,
      sim_max_late_ms: Math.round(sent1.maxLateMs),
      coordinator_cpu_pct: Math.round(cpuPct),
      // the simulated agents' processes, apart from the coordinator's (same window)
      sim_cpu_pct: simCpuPct.map(Math.round),
      sim_nice: o.simNice,
      // the whole machine over the window (every process, this bench's and others'), of all cores
      machine_busy_pct: Math.round(busy.pct),
      cores: busy.cores,
      handling_p50_ms_at_most: bucketQuantile(before, after, 0.5),
      handling_p99_ms_at_most: bucketQuantile(before, after, 0.99),
      event_loop_lag_p99_ms: round(after.lagP99Ms),
      healthz_p50_ms: round(percentile(healthMs, 50)),
      healthz_p99_ms: round(percentile(healthMs, 99)),
      healthz_max_ms: round(healthMs.at(-1) ?? Number.NaN),
      healthz_probes: healthMs.length,
      // p50 / max over the kills; each kill's figures below (see bench/lib/sim-kills.ts)
      kill_summary: summarizeKills(kills),
      killed: kills,
      false_downs: inWindow.length,
      // the coordinator's figures on each false down (why it decided so)
      false_down_detail: inWindow.slice(0, 10),
      // agents stay silent until all are connected, so early ones are seen down meanwhile (expected)
      downs_while_connecting: downsConnecting,
      silent_before_beats_s: round((silentSince - t0Wall) / 1000),
      metrics_scrape_ms: round(scrapeMs),
      metrics_scrape_end_ms: round(a1 - a0),
      downs_after_metrics_scrape: afterScrape.length,
      store_vms: n * o.vms,
      seed_s: round(seedS),
      coordinator_start_s: round(startS),
      connect_s: round(connectS),
      welcome_p99_ms: round(percentile(welcome, 99)),
      rss_mb: { idle: rssIdle, connected: rssConnected, beating: rssMb(pid) },
    };
    if (o.json) console.log(JSON.stringify(result));
    else console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const s of sims) {
      s.child.send({ cmd: 'stop' } satisfies SimCommand);
      setTimeout(() => s.child.kill('SIGKILL'), 2_000).unref();
    }
    // SIGTERM first: a profiling coordinator writes its profile as it exits
    coord.kill('SIGTERM');
    // a profiling coordinator may take a while to write its profile
    const grace = process.env.BENCH_COORDINATOR_NODE_ARGS ? 60_000 : 4_000;
    await new Promise((r) => setTimeout(r, grace).unref() && coord.once('exit', r));
    coord.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** run is the bench entry point (bench/main.ts). */
export async function run(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  if (!o.json)
    console.log(
      `node ${process.version}, heartbeat bench (${o.mode}): agents ${o.agents.join(',')}, measure ${o.measureS} s`,
    );
  for (const n of o.agents) await runOnce(n, o);
}
