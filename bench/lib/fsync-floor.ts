// The disk's floor for a durable write: what no store or audit log on it can beat.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type Latency, latency, nowMs } from './stats.js';

/** fdatasyncFloor times bare append + fdatasync of a small record in `dir`, one after another. */
export async function fdatasyncFloor(dir: string, count: number): Promise<Latency> {
  const fh = await open(join(dir, 'floor'), 'a');
  const buf = Buffer.alloc(300, 120);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t = nowMs();
      await fh.write(buf);
      await fh.datasync();
      times.push(nowMs() - t);
    }
  } finally {
    await fh.close();
  }
  return latency(times);
}
