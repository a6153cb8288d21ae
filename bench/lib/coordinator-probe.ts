// What the heartbeat bench reads from the coordinator process from outside: its CPU and RSS from
// /proc, counters and histograms from /metrics, node.down events from /v1/events, and /healthz
// latency from a separate prober process (the bench's own event loop would add its delay).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

/** cpuSeconds is the process's user + system time (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** rssMb is the process's resident set in MiB. */
export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return Math.round(kb / 102.4) / 10;
}

/** Scrape is the part of /metrics the bench reads. */
export interface Scrape {
  readonly heartbeats: number;
  /** handling is the heartbeat handling histogram: cumulative count per upper bound (seconds) */
  readonly handling: ReadonlyMap<number, number>;
  /** lagP99Ms is the event loop delay p99 since the previous scrape (prom-client resets it) */
  readonly lagP99Ms: number;
}

/** scrape reads /metrics once. */
export async function scrape(base: string): Promise<Scrape> {
  let text = '';
  // a loaded coordinator may answer 408 (request timeout); try again a few times
  for (let i = 0; i < 3 && !/^vmpool_heartbeats_total /m.test(text); i++)
    text = await fetch(`${base}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
  const handling = new Map<number, number>();
  for (const m of text.matchAll(/^vmpool_heartbeat_handling_seconds_bucket\{le="([^"]+)"\} (\d+)/gm))
    handling.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2]));
  const lag = /^vmpool_coordinator_nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1];
  return {
    heartbeats: Number(/^vmpool_heartbeats_total (\d+)/m.exec(text)?.[1] ?? Number.NaN),
    handling,
    lagP99Ms: lag === undefined ? Number.NaN : Number(lag) * 1000,
  };
}

/**
 * bucketQuantile is the upper bound (ms) of the histogram bucket holding quantile q of the
 * observations between two scrapes: the true value is at most this.
 */
export function bucketQuantile(before: Scrape, after: Scrape, q: number): number {
  const bounds = [...after.handling.keys()].sort((a, b) => a - b);
  const total =
    (after.handling.get(Number.POSITIVE_INFINITY) ?? 0) -
    (before.handling.get(Number.POSITIVE_INFINITY) ?? 0);
  if (total <= 0) return Number.NaN;
  for (const le of bounds) {
    const n = (after.handling.get(le) ?? 0) - (before.handling.get(le) ?? 0);
    if (n >= q * total) return le * 1000;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Down is one node.down as the bench received it: `at` the bench's wall clock on receipt, `ts` the
 * coordinator's stamp (its decision), and the fields the coordinator gives for it.
 */
export interface Down {
  readonly node_id: string;
  readonly at: number;
  readonly ts: number;
  readonly silent_ms: number;
  readonly down_after_ms: number;
  readonly stall_credit_ms: number;
}

/** DownWatch collects node.down events as they stream in, with the wall time each arrived. */
export interface DownWatch {
  readonly downs: Down[];
  stop(): void;
}

/** watchDowns follows GET /v1/events?kind=node.down as the admin. */
export async function watchDowns(base: string, adminToken: string): Promise<DownWatch> {
  const ctl = new AbortController();
  const downs: Down[] = [];
  const res = await fetch(`${base}/v1/events?kind=node.down`, {
    headers: { authorization: `Bearer ${adminToken}` },
    signal: ctl.signal,
  });
  if (!res.ok || !res.body) throw new Error(`Cannot follow /v1/events: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += value;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('data:')) onDown(line.slice(5), downs);
    }
  })();
  return { downs, stop: () => ctl.abort() };
}

function onDown(data: string, downs: Down[]): void {
  const at = Date.now();
  const e = JSON.parse(data) as Partial<Omit<Down, 'ts' | 'at'>> & { type?: string; ts?: string };
  if (e.type !== 'node.down' || !e.node_id) return;
  downs.push({
    node_id: e.node_id,
    at,
    ts: Date.parse(e.ts ?? ''),
    silent_ms: e.silent_ms ?? Number.NaN,
    down_after_ms: e.down_after_ms ?? Number.NaN,
    stall_credit_ms: e.stall_credit_ms ?? Number.NaN,
  });
}

const PROBE = `
const [port, forMs] = process.argv.slice(1).map(Number);
const out = [];
const slow = [];
const end = performance.now() + forMs;
while (performance.now() < end) {
  const t = performance.now();
  const at = Date.now();
  await fetch('http://127.0.0.1:' + port + '/healthz').then((r) => r.arrayBuffer(), () => undefined);
  const ms = performance.now() - t;
  out.push(ms);
  if (ms >= 20) slow.push([at, Math.round(ms * 10) / 10]);
  await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - t))));
}
// BENCH_HEALTHZ_SLOW_LOG: wall-clock start and latency of every probe of 20 ms or more (to match GC traces)
const log = process.env.BENCH_HEALTHZ_SLOW_LOG;
if (log) (await import('node:fs')).writeFileSync(log, JSON.stringify(slow));
console.log(JSON.stringify(out));
`;

/** probeHealth asks /healthz every 100 ms for `forMs` from a child process and returns each latency. */
export function probeHealth(port: number, forMs: number): Promise<number[]> {
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
