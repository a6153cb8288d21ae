import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { syncDirectory } from '../../shared/atomic-file.js';
import { ABSENT } from './in-place-draft.js';
import type { StoreState } from './types.js';

/**
 * SnapshotSource is the state as of one journal record while writes go on: the root of that
 * moment, each map's ids of that moment, and each record's value of that moment (ABSENT: skip).
 */
export interface SnapshotSource {
  root: StoreState;
  ids: ReadonlyMap<string, readonly string[]>;
  recordAt(map: string, id: string): unknown;
}

/** captureSource takes the ids of every map now; `recordAt` must answer for this moment later. */
export function captureSource(
  root: StoreState,
  recordAt?: (map: string, id: string) => unknown,
): SnapshotSource {
  const ids = new Map<string, string[]>();
  for (const [key, value] of Object.entries(root)) if (isMap(value)) ids.set(key, Object.keys(value));
  const live = (map: string, id: string) =>
    (root as unknown as Record<string, Record<string, unknown>>)[map]?.[id];
  return { root, ids, recordAt: recordAt ?? live };
}

/** SNAPSHOT_SEQ_KEY is the snapshot's own field naming the last journal record it includes. */
export const SNAPSHOT_SEQ_KEY = 'journal_seq';

/** CompactionStep names each point of a compaction, after it completed (hooks for crash tests). */
export type CompactionStep = 'rotated' | 'written' | 'synced' | 'renamed' | 'dir_synced' | 'cleaned';

/** StepHook runs after each compaction step; throwing or never returning stops the compaction there. */
export type StepHook = (step: CompactionStep) => void | Promise<void>;

/** SLICE_MS bounds the serialising done in one event-loop turn (checked every CHECK_EVERY entries). */
const SLICE_MS = 4;
const CHECK_EVERY = 64;
/** FLUSH_CHARS is how much serialised text is buffered before one write. */
const FLUSH_CHARS = 1 << 20;

/** compactingPath is the fixed temp name a snapshot is written under before the rename. */
export function compactingPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.compacting`);
}

/**
 * writeSnapshot writes the source (the state after journal record `seq`) as the new snapshot
 * without blocking the event loop for long: slices of about 4 ms per turn while writes go on
 * (the source answers for its moment whatever changed since); then fsync, rename over `path`,
 * fsync the directory. Returns the snapshot's size in bytes.
 */
export async function writeSnapshot(
  path: string,
  source: SnapshotSource,
  seq: number,
  hook: StepHook,
): Promise<number> {
  const temp = compactingPath(path);
  const fh = await open(temp, 'w', 0o600);
  let size = 0;
  try {
    await fh.chmod(0o600);
    let sliceStart = performance.now();
    let buf = `{${JSON.stringify(SNAPSHOT_SEQ_KEY)}:${seq}`;
    const flush = async () => {
      size += Buffer.byteLength(buf);
      await fh.write(buf);
      buf = '';
    };
    for (const [key, value] of Object.entries(source.root)) {
      if (value === undefined) continue;
      buf += `,${JSON.stringify(key)}:`;
      const ids = source.ids.get(key);
      if (!ids) {
        buf += JSON.stringify(value);
        continue;
      }
      let first = true;
      let n = 0;
      buf += '{';
      for (const k of ids) {
        const v = source.recordAt(key, k);
        const text = v === ABSENT ? undefined : JSON.stringify(v);
        if (text === undefined) continue;
        buf += `${first ? '' : ','}${JSON.stringify(k)}:${text}`;
        first = false;
        if (++n % CHECK_EVERY === 0 && performance.now() - sliceStart >= SLICE_MS) {
          if (buf.length >= FLUSH_CHARS) await flush();
          await yieldTurn();
          sliceStart = performance.now();
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
