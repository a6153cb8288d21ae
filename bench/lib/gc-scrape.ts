// The coordinator's own GC pauses and event-loop delay over a window, from its /metrics (prom-client's
// default metrics): what a latency tail is made of when the CPU per request is small.

/** GcWindow is what /metrics said about GC and the event loop between two scrapes. */
export interface GcWindow {
  /** pauses per kind (major, minor, incremental, weakcb): count, total ms, and how many took over 100 ms */
  readonly gc: Record<string, { count: number; total_ms: number; over_100ms: number }>;
  /** event-loop delay p99 and max over the window (prom-client resets them at each scrape) */
  readonly eventloop_lag_p99_ms: number;
  readonly eventloop_lag_max_ms: number;
}

type GcCounts = Map<string, { count: number; sum: number; le100: number }>;

async function metricsText(base: string): Promise<string> {
  return fetch(`${base}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
}

function gcCounts(text: string): GcCounts {
  const out: GcCounts = new Map();
  const of = (kind: string) => {
    let c = out.get(kind);
    if (!c) {
      c = { count: 0, sum: 0, le100: 0 };
      out.set(kind, c);
    }
    return c;
  };
  const p = 'vmpool_coordinator_nodejs_gc_duration_seconds';
  for (const m of text.matchAll(new RegExp(`^${p}_count\\{kind="(\\w+)"\\} (\\S+)`, 'gm')))
    of(m[1]!).count = Number(m[2]);
  for (const m of text.matchAll(new RegExp(`^${p}_sum\\{kind="(\\w+)"\\} (\\S+)`, 'gm')))
    of(m[1]!).sum = Number(m[2]);
  for (const m of text.matchAll(new RegExp(`^${p}_bucket\\{le="0.1",kind="(\\w+)"\\} (\\S+)`, 'gm')))
    of(m[1]!).le100 = Number(m[2]);
  return out;
}

/** startGcWindow scrapes once now (resetting the lag figures) and returns the function that closes the window. */
export async function startGcWindow(base: string): Promise<() => Promise<GcWindow>> {
  const before = gcCounts(await metricsText(base));
  return async () => {
    const text = await metricsText(base);
    const after = gcCounts(text);
    const gc: GcWindow['gc'] = {};
    for (const [kind, a] of after) {
      const b = before.get(kind) ?? { count: 0, sum: 0, le100: 0 };
      const count = a.count - b.count;
      gc[kind] = {
        count,
        total_ms: Math.round((a.sum - b.sum) * 1e4) / 10,
        over_100ms: count - (a.le100 - b.le100),
      };
    }
    const lag = (name: string) =>
      Math.round(
        Number(
          new RegExp(`^vmpool_coordinator_nodejs_eventloop_lag_${name}_seconds (\\S+)`, 'm').exec(
            text,
          )?.[1] ?? Number.NaN,
        ) * 1e4,
      ) / 10;
    return { gc, eventloop_lag_p99_ms: lag('p99'), eventloop_lag_max_ms: lag('max') };
  };
}
