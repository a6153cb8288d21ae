import { type FileHandle, open, readFile } from 'node:fs/promises';
import { errorMessage } from '../../shared/errors.js';
import {
  type AuditEntry,
  AuditError,
  type AuditInput,
  GENESIS_HASH,
  formatLine,
  parseLine,
  sealEntry,
} from './entry.js';
import { checkpointPathFor, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { readTail } from './tail.js';
import { emptyIfMissing, type KnownHead, type VerifyResult, verify } from './verify.js';

/** AuditLogOptions: the audit key (entries and checkpoints are MACed with it) and the clock. */
export interface AuditLogOptions {
  /** key is the HMAC key from the audit key file (never kept in the data dir); none: plain sha256 */
  key?: Buffer;
  now?: () => Date;
}

/**
 * AuditListQuery filters list(): one tenant, one VM, seq above `since` and below `before`; list
 * returns the newest `limit` matches, newest first (page back with `before` = the last seq shown).
 */
export interface AuditListQuery {
  tenant?: string;
  vm?: string;
  since?: number;
  before?: number;
  limit: number;
}

/** PendingAppend is one append waiting for its batch's write. */
interface PendingAppend {
  input: AuditInput;
  resolve: (entry: AuditEntry) => void;
  reject: (err: unknown) => void;
}

/**
 * AuditLog is the append-only, hash-chained JSON-lines log. Appends are chained in call order and
 * fsynced before they resolve, so an answered API call is on disk in the audit trail. Appends made
 * while a write runs are group-committed: one write and one fdatasync for the whole batch.
 */
export class AuditLog {
  private queue: Promise<unknown> = Promise.resolve();
  private broken: unknown = null;
  private pending: PendingAppend[] | null = null;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    private seq: number,
    private headHash: string,
    private readonly now: () => Date,
    private readonly key: Buffer | undefined,
  ) {}

  /**
   * open recovers seq and prev_hash from the last line (checking its hash; the full chain is
   * verify's job). A torn final line — an append cut short by a crash, never acknowledged — is
   * truncated away so the next append starts on a clean line.
   */
  static async open(path: string, opts: AuditLogOptions = {}): Promise<AuditLog> {
    const file = await open(path, 'a+', 0o600);
    try {
      const { size } = await file.stat();
      const tail = await readTail(file, size);
      if (tail.end < size) {
        await file.truncate(tail.end);
        await file.sync();
      }
      const last = tail.lastLine === null ? null : parseLine(tail.lastLine, opts.key);
      if (typeof last === 'string') {
        throw new AuditError('audit_corrupt', `Cannot open audit log "${path}": last line is ${last}`);
      }
      return new AuditLog(
        path,
        file,
        last?.seq ?? 0,
        last?.hash ?? GENESIS_HASH,
        opts.now ?? (() => new Date()),
        opts.key,
      );
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** append records one entry durably and returns it as written (batched with concurrent appends). */
  append(input: AuditInput): Promise<AuditEntry> {
    return new Promise<AuditEntry>((resolve, reject) => {
      if (!this.pending) {
        const batch: PendingAppend[] = [];
        this.pending = batch;
        const result = this.queue.then(() => {
          if (this.pending === batch) this.pending = null; // later appends form the next batch
          return this.writeBatch(batch);
        });
        this.queue = result.catch(() => undefined);
      }
      this.pending.push({ input, resolve, reject });
    });
  }

  /** list reads the newest entries matching query, newest first (reads the whole file; fine for an audit page). */
  async list(query: AuditListQuery): Promise<AuditEntry[]> {
    const text = await readFile(this.path, 'utf8').catch(emptyIfMissing);
    const lines = text.split('\n').slice(0, -1);
    const out: AuditEntry[] = [];
    for (let i = lines.length - 1; i >= 0 && out.length < query.limit; i--) {
      const entry = parseLine(lines[i]!, this.key);
      if (typeof entry === 'string') {
        throw new AuditError(
          'audit_corrupt',
          `Cannot list audit log "${this.path}": line ${i + 1} is ${entry}`,
        );
      }
      if (entry.seq <= (query.since ?? 0)) break; // seq only grows down the file
      if (matches(entry, query)) out.push(entry);
    }
    return out;
  }

  /** head is the live chain position this process knows, whatever the file now says. */
  head(): KnownHead {
    return { seq: this.seq, hash: this.headHash };
  }

  /** checkpoint writes a MACed (seq, head) beside the log (needs the key); ordered after pending appends. */
  checkpoint(): Promise<void> {
    const key = this.key;
    if (!key) return Promise.resolve();
    const result = this.queue.then(() =>
      writeCheckpoint(checkpointPathFor(this.path), key, {
        seq: this.seq,
        head: this.headHash,
        ts: this.now().toISOString(),
      }),
    );
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * verify checks the file against its own chain, the live head and the last checkpoint, so an
   * edit, a re-chain, a forged append, truncation or emptying is reported with its line.
   */
  async verify(): Promise<VerifyResult> {
    await this.queue;
    const known: KnownHead[] = [this.head()];
    if (this.key) {
      const cp = await readCheckpoint(checkpointPathFor(this.path), this.key);
      if (cp === 'bad_checkpoint') return { ok: false, line: 0, reason: 'bad_checkpoint' };
      if (cp) known.push({ seq: cp.seq, hash: cp.head });
    }
    return verify(this.path, { ...(this.key ? { key: this.key } : {}), known });
  }

  /** close waits for pending appends, writes a last checkpoint and closes the file. */
  async close(): Promise<void> {
    await this.checkpoint().catch(() => undefined);
    await this.queue;
    await this.file.close();
  }

  /** writeBatch seals the batch's entries in order and writes them with one write and one fdatasync. */
  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    if (this.broken) {
      const err = new AuditError(
        'audit_write_failed',
        'Cannot append to audit log: an earlier write failed, reopen it',
        {
          cause: this.broken,
        },
      );
      for (const p of batch) p.reject(err);
      return;
    }
    const entries: AuditEntry[] = [];
    let [seq, head] = [this.seq, this.headHash];
    for (const p of batch) {
      const entry = sealEntry(p.input, seq + 1, this.now().toISOString(), head, this.key);
      entries.push(entry);
      [seq, head] = [entry.seq, entry.hash];
    }
    const text = entries.map(formatLine).join('');
    try {
      const { bytesWritten } = await this.file.write(text);
      if (bytesWritten !== Buffer.byteLength(text)) throw new Error(`short write of ${bytesWritten} bytes`);
      await this.file.datasync();
    } catch (err) {
      // The file may now end in a partial line; refuse further appends until open() repairs it.
      this.broken = err;
      const error = new AuditError('audit_write_failed', `Cannot append to audit log: ${errorMessage(err)}`, {
        cause: err,
      });
      for (const p of batch) p.reject(error);
      return;
    }
    [this.seq, this.headHash] = [seq, head];
    for (const [i, p] of batch.entries()) p.resolve(entries[i] as AuditEntry);
  }
}

function matches(e: AuditEntry, q: AuditListQuery): boolean {
  return (
    (q.before === undefined || e.seq < q.before) &&
    (q.tenant === undefined || e.tenant === q.tenant) &&
    (q.vm === undefined || e.vm === q.vm)
  );
}
