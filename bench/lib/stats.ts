// Small helpers shared by the benches: seeded randomness, percentiles, output.

/** Rng is a seeded source of numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32 is a tiny seeded PRNG so every bench run builds the same fleet and requests. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** pick returns one item chosen by rng. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

/** percentile of an ascending-sorted list (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Latency is the usual summary of a list of timings in milliseconds. */
export interface Latency {
  readonly count: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
}

/** latency summarises timings (ms), rounded to microseconds. */
export function latency(timesMs: readonly number[]): Latency {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    count: sorted.length,
    p50_ms: r(percentile(sorted, 50)),
    p99_ms: r(percentile(sorted, 99)),
    max_ms: r(sorted.at(-1) ?? 0),
  };
}

/** nowMs is a monotonic clock in milliseconds. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** emit prints a result as one JSON object (--json) or as indented text. */
export function emit(result: Record<string, unknown>, json: boolean): void {
  if (json) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
}
