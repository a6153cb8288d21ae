import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { syncDirectory } from '../../shared/atomic-file.js';
import type { StoreState } from './types.js';

/** SNAPSHOT_SEQ_KEY is the snapshot's own field naming the last journal record it includes. */
export const SNAPSHOT_SEQ_KEY = 'journal_seq';

/** CompactionStep names each point of a compaction, after it completed (hooks for crash tests). */
export type CompactionStep = 'rotated' | 'written' | 'synced' | 'renamed' | 'dir_synced' | 'cleaned';

/** StepHook runs after each compaction step; throwing or never returning stops the compaction there. */
export type StepHook = (step: CompactionStep) => void | Promise<void>;

/** ENTRIES_PER_TURN bounds the map entries serialised before yielding to the event loop. */
const ENTRIES_PER_TURN = 1000;
/** FLUSH_CHARS is how much serialised text is buffered before one write. */
const FLUSH_CHARS = 1 << 20;

/** compactingPath is the fixed temp name a snapshot is written under before the rename. */
export function compactingPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.compacting`);
}

/**
 * writeSnapshot writes `state` (the state after journal record `seq`) as the new snapshot without
 * blocking the event loop for long: the root is immutable (immer), so it is serialised a thousand
 * map entries per turn while writes go on; then fsync, rename over `path`, fsync the directory.
 * Returns the snapshot's size in bytes.
 */
export async function writeSnapshot(
  path: string,
  state: StoreState,
  seq: number,
  hook: StepHook,
): Promise<number> {
  const temp = compactingPath(path);
  const fh = await open(temp, 'w', 0o600);
  let size = 0;
  try {
    await fh.chmod(0o600);
    let buf = `{${JSON.stringify(SNAPSHOT_SEQ_KEY)}:${seq}`;
    const flush = async () => {
      size += Buffer.byteLength(buf);
      await fh.write(buf);
      buf = '';
    };
    for (const [key, value] of Object.entries(state)) {
      if (value === undefined) continue;
      buf += `,${JSON.stringify(key)}:`;
      if (!isMap(value)) {
        buf += JSON.stringify(value);
        continue;
      }
      let first = true;
      let n = 0;
      buf += '{';
      for (const k in value) {
        const text = JSON.stringify(value[k]);
        if (text === undefined) continue;
        buf += `${first ? '' : ','}${JSON.stringify(k)}:${text}`;
        first = false;
        if (++n % ENTRIES_PER_TURN === 0) {
          if (buf.length >= FLUSH_CHARS) await flush();
          await yieldTurn();
        }
      }
      buf += '}';
    }
    buf += '}\n';
    await flush();
    await hook('written');
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await hook('synced');
  await rename(temp, path);
  await hook('renamed');
  await syncDirectory(dirname(path));
  await hook('dir_synced');
  return size;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
