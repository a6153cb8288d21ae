import type { Patch } from 'immer';
import { stat, rm } from 'node:fs/promises';
import { BatchedStore } from './batched-store.js';
import { StoreError } from './errors.js';
import { FsyncJsonFile } from './fsync-json-file.js';
import { Journal, listSegments } from './journal.js';
import { applyPatchesInPlace } from './patch-apply.js';
import {
  type CompactionStep,
  captureSource,
  compactingPath,
  SNAPSHOT_SEQ_KEY,
  type SnapshotSource,
  type StepHook,
  writeSnapshot,
} from './snapshot-writer.js';
import type { StoreState } from './types.js';

/** LowdbStoreOptions tunes compaction and lets tests inject faults at each step. */
export interface LowdbStoreOptions {
  /** compactMinBytes: the journal is never compacted below this size (default 8 MiB) */
  compactMinBytes?: number;
  /** compactRatio: compact once the journal exceeds this fraction of the snapshot's size (default 0.5) */
  compactRatio?: number;
  /** beforeAppend runs before each journal append; throwing fails that write (fault injection) */
  beforeAppend?: () => void | Promise<void>;
  /** afterWrite runs after a record's bytes are written, before fdatasync; throwing fails it (fault injection) */
  afterWrite?: () => void;
  /** onCompactionStep runs after each compaction step (crash tests stop there) */
  onCompactionStep?: StepHook;
  /** onCompactionError sees a failed background compaction (the journal keeps everything; it is retried) */
  onCompactionError?: (err: unknown) => void;
}

/** JournalFacts says what the last load found, for logs and tests. */
export interface JournalFacts {
  snapshotSeq: number;
  replayed: number;
  tornBytes: number;
}

/**
 * LowdbStore is the embedded default store: a JSON snapshot (read through lowdb's adapter) plus a
 * journal of every committed batch's immer patches. A write appends one framed record and
 * fdatasyncs once per batch (group commit), so its cost is what changed, not the whole state. When
 * the journal grows past compactMinBytes and compactRatio × snapshot, a background compaction
 * rotates the journal, writes the state as of the old segment's end to a new snapshot (temp, fsync,
 * rename, fsync dir) a slice per event-loop turn, then deletes the old segment. A crash at any
 * point leaves a snapshot plus segments that replay to every acknowledged write: records at or
 * below the snapshot's `journal_seq` are skipped, a torn last record (never acknowledged) is cut.
 */
export class LowdbStore extends BatchedStore {
  /** one writer holds the data dir: a change's audit entry is written alongside it (see Store) */
  readonly auditAlongside = true;
  private journal: Journal | null = null;
  private seq = 0;
  private snapshotBytes = 0;
  private compaction: Promise<void> | null = null;
  private forceCompaction = false;
  private facts: JournalFacts = { snapshotSeq: 0, replayed: 0, tornBytes: 0 };
  /** overlay keeps, while a snapshot is written, each changed record's value as of the snapshot */
  private overlay: Map<string, unknown> | null = null;

  constructor(
    readonly path: string,
    private readonly opts: LowdbStoreOptions = {},
  ) {
    super();
  }

  /** lastLoad describes the snapshot and journal the last load() read. */
  get lastLoad(): JournalFacts {
    return this.facts;
  }

  /** compact forces a compaction now (after the pending writes) and waits for it. */
  async compact(): Promise<void> {
    this.forceCompaction = true;
    await this.update(() => undefined);
    await this.compaction;
  }

  /** close waits for a running compaction and releases the journal; the store is unusable after. */
  async close(): Promise<void> {
    await this.compaction?.catch(() => undefined);
    await this.journal?.close();
    this.journal = null;
  }

  protected async readDurable(): Promise<StoreState | null> {
    // Another process compacting under us (a reader beside a running coordinator) can delete a
    // segment between listing and reading it: read again, the newer snapshot then covers it.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.readOnce();
      } catch (err) {
        if (attempt >= 3 || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  private async readOnce(): Promise<StoreState | null> {
    await rm(compactingPath(this.path), { force: true });
    const segments = await listSegments(this.path); // before the snapshot: see readDurable
    const data = await new FsyncJsonFile<Record<string, unknown>>(this.path).read();
    if (data !== null) checkShape(data, this.path);
    // Bare maps without a copy: JSON.parse made every id an own property (`__proto__` too).
    if (data) for (const k of ['tenants', 'vms', 'idempotency']) Object.setPrototypeOf(data[k], null);
    const snapshotSeq = data ? Number(data[SNAPSHOT_SEQ_KEY] ?? 0) : 0;
    if (data) delete data[SNAPSHOT_SEQ_KEY];
    this.snapshotBytes = data ? (await stat(this.path)).size : 0;
    await this.journal?.close();
    const { journal, replayed } = await Journal.open(this.path, segments, this.opts.afterWrite);
    this.journal = journal;
    const state = (data ?? null) as StoreState | null;
    const base = state ?? ({ version: 1, tenants: {}, vms: {}, idempotency: {} } as StoreState);
    this.seq = snapshotSeq;
    let applied = 0;
    for (const r of replayed.records) {
      if (r.seq <= this.seq) continue;
      if (r.seq !== this.seq + 1) throw gap(this.path, this.seq, r.seq);
      applyPatchesInPlace(base as unknown as Record<string, unknown>, r.patches);
      this.seq = r.seq;
      applied++;
    }
    this.facts = { snapshotSeq, replayed: applied, tornBytes: replayed.tornBytes };
    return state === null && applied === 0 ? null : base;
  }

  protected override updatesInPlace(): boolean {
    return true;
  }

  protected override beforeRecordChange(map: string, id: string, old: unknown): void {
    const key = `${map}\u0000${id}`;
    if (this.overlay && !this.overlay.has(key)) this.overlay.set(key, old);
  }

  protected async persist(state: StoreState, patches: readonly Patch[]): Promise<void> {
    const journal = this.journal;
    if (!journal)
      throw new StoreError('store_not_loaded', 'Cannot write coordinator state: the store is closed');
    // `state` is exactly this batch's end only now, before the first await: capture it here.
    const source = !this.compaction && this.dueForCompaction(journal) ? this.capture(state) : null;
    try {
      if (patches.length > 0) {
        const record = { seq: this.seq + 1, patches: patches as Patch[] };
        await this.opts.beforeAppend?.();
        await journal.append(record);
        this.seq = record.seq;
      }
      if (!source) return;
      this.forceCompaction = false;
      // Rotation happens inside the write slot so no record lands in the old segment after `state`.
      const closedGen = await journal.rotate();
      this.compaction = this.compactInBackground(journal, source, this.seq, closedGen);
    } catch (err) {
      if (source) this.overlay = null;
      throw err;
    }
  }

  /** capture freezes the ids of this moment and starts keeping the old value of each record changed after it. */
  private capture(state: StoreState): SnapshotSource {
    const overlay = new Map<string, unknown>();
    this.overlay = overlay;
    const root = state as unknown as Record<string, Record<string, unknown>>;
    return captureSource(state, (map, id) => {
      const key = `${map}\u0000${id}`;
      return overlay.has(key) ? overlay.get(key) : root[map]?.[id];
    });
  }

  private dueForCompaction(journal: Journal): boolean {
    if (this.forceCompaction) return true;
    const min = this.opts.compactMinBytes ?? 8 << 20;
    return (
      journal.activeBytes >= min &&
      journal.activeBytes >= (this.opts.compactRatio ?? 0.5) * this.snapshotBytes
    );
  }

  private async compactInBackground(
    journal: Journal,
    source: SnapshotSource,
    seq: number,
    closedGen: number,
  ): Promise<void> {
    const hook = async (step: CompactionStep) => this.opts.onCompactionStep?.(step);
    try {
      await hook('rotated');
      this.snapshotBytes = await writeSnapshot(this.path, source, seq, hook);
      await journal.removeThrough(closedGen);
      await hook('cleaned');
    } catch (err) {
      this.opts.onCompactionError?.(err);
    } finally {
      this.overlay = null;
      this.compaction = null;
    }
  }
}

function gap(path: string, at: number, next: number): StoreError {
  return new StoreError('store_corrupt', `Cannot replay journal of "${path}": record ${next} follows ${at}`, {
    details: { after: at, next },
  });
}

/** checkShape refuses a file that is not a version-1 state document rather than guessing. */
function checkShape(data: unknown, path: string): asserts data is StoreState {
  const d = data as Partial<StoreState> | null;
  const isMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(d) || d?.version !== 1 || !isMap(d.tenants) || !isMap(d.vms) || !isMap(d.idempotency)) {
    throw new StoreError(
      'store_corrupt',
      `Cannot read coordinator state "${path}": not a version 1 document`,
    );
  }
}
