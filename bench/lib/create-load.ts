// The two ways the creates bench drives the coordinator: a closed loop (K clients, each posting its
// next create when the last one answered: the most the coordinator does) and an open loop (creates
// started on a fixed schedule whatever the answers, latency counted from the scheduled start, so
// time spent queued behind a slow answer is in the figure: what a user at that rate would see).
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMs } from './stats.js';

/** LoadResult is what either loop measured: wall seconds, one latency per create, refusals by code. */
export interface LoadResult {
  seconds: number;
  times: number[];
  refused: Record<string, number>;
  /** most creates outstanding at once (open loop: grows when the coordinator falls behind) */
  maxInflight: number;
}

/** PostCreate posts create number i and resolves with its HTTP status and error code (if any). */
export type PostCreate = (i: number) => Promise<{ status: number; code?: string }>;

function tally(refused: Record<string, number>, r: { status: number; code?: string }): void {
  if (r.status === 201) return;
  const code = r.code ?? String(r.status);
  refused[code] = (refused[code] ?? 0) + 1;
}

/** closedLoop runs `creates` creates from `concurrency` clients that each wait for their answer. */
export async function closedLoop(
  post: PostCreate,
  creates: number,
  concurrency: number,
): Promise<LoadResult> {
  const times: number[] = [];
  const refused: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < creates) {
      const i = next++;
      const t = nowMs();
      const r = await post(i);
      times.push(nowMs() - t);
      tally(refused, r);
    }
  };
  const t0 = nowMs();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (nowMs() - t0) / 1000, times, refused, maxInflight: concurrency };
}

/**
 * openLoop starts create i at t0 + i / rate whatever came back before. At most `maxInflight` are
 * outstanding (the coordinator's connection cap); a create held back by that cap still counts its
 * latency from its scheduled start. `seconds` runs from the first scheduled start to the last answer.
 */
export async function openLoop(
  post: PostCreate,
  creates: number,
  rate: number,
  maxInflight: number,
): Promise<LoadResult> {
  const times: number[] = [];
  const refused: Record<string, number> = {};
  const all: Promise<void>[] = [];
  let inflight = 0;
  let most = 0;
  let freed: (() => void) | null = null;
  const t0 = nowMs();
  for (let i = 0; i < creates; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - nowMs();
    if (wait > 1) await sleep(wait);
    while (inflight >= maxInflight) await new Promise<void>((r) => (freed = r));
    inflight++;
    most = Math.max(most, inflight);
    all.push(
      post(i).then((r) => {
        times.push(nowMs() - due);
        tally(refused, r);
        inflight--;
        freed?.();
        freed = null;
      }),
    );
  }
  await Promise.all(all);
  return { seconds: (nowMs() - t0) / 1000, times, refused, maxInflight: most };
}
