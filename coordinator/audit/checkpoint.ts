import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../shared/atomic-file.js';

/** Checkpoint is a MACed note of the audit chain's position: entry `seq` has hash `head`. */
export interface Checkpoint {
  seq: number;
  head: string;
  ts: string;
  mac: string;
}

/** checkpointPathFor is where a log's checkpoint lives: beside it, never inside it. */
export function checkpointPathFor(logPath: string): string {
  return `${logPath}.checkpoint`;
}

function macOf(c: Omit<Checkpoint, 'mac'>, key: Buffer): string {
  return createHmac('sha256', key)
    .update(`vmpool-audit-checkpoint\n${c.seq}\n${c.head}\n${c.ts}`)
    .digest('hex');
}

/** writeCheckpoint records (seq, head) durably under the audit key. */
export async function writeCheckpoint(
  path: string,
  key: Buffer,
  at: { seq: number; head: string; ts: string },
): Promise<void> {
  const c: Checkpoint = { ...at, mac: macOf(at, key) };
  await writeFileAtomic(path, `${JSON.stringify(c)}\n`, { mode: 0o600 });
}

/** readCheckpoint returns the checkpoint, null when there is none, or 'bad_checkpoint' when it does not verify. */
export async function readCheckpoint(
  path: string,
  key: Buffer,
): Promise<Checkpoint | null | 'bad_checkpoint'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const c = JSON.parse(text) as Checkpoint;
    const ok =
      Number.isSafeInteger(c.seq) &&
      typeof c.head === 'string' &&
      typeof c.ts === 'string' &&
      typeof c.mac === 'string' &&
      macOf(c, key) === c.mac;
    return ok ? c : 'bad_checkpoint';
  } catch {
    return 'bad_checkpoint';
  }
}
