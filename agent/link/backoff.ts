/** fullJitterMs is AWS's "full jitter" backoff: uniform in [0, min(cap, base·2^attempt)). */
export function fullJitterMs(
  attempt: number,
  rand: number,
  opts: { baseMs?: number; capMs?: number } = {},
): number {
  const base = opts.baseMs ?? 500;
  const cap = opts.capMs ?? 30_000;
  return Math.floor(rand * Math.min(cap, base * 2 ** Math.min(attempt, 30)));
}
