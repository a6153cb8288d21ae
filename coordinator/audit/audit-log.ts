import { createSecretKey, type KeyObject } from 'node:crypto';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { DSYNC_APPEND_READ, writeDurably } from '../../shared/durable-append.js';
import { errorMessage } from '../../shared/errors.js';
import { type AuditEntry, AuditError, type AuditInput, GENESIS_HASH, parseLine, sealLine } from './entry.js';
import { checkpointPathFor, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { readTail } from './tail.js';
import { verifyChain } from './chain.js';
import { listSegments, pruneSegments, rotateFile } from './segments.js';
import { emptyIfMissing, type KnownHead, type VerifyResult } from './verify.js';

/** AuditLogOptions: the audit key (entries and checkpoints are MACed with it), rotation and the clock. */
export interface AuditLogOptions {
  /** key is the HMAC key from the audit key file (never kept in the data dir); none: plain sha256 */
  key?: Buffer;
  now?: () => Date;
  /** maxBytes: once the live file reaches this size it becomes a segment and a new file starts (0: never) */
  maxBytes?: number;
  /** keepSegments: rotated segments kept; older ones are deleted behind a MACed anchor (default 8) */
  keepSegments?: number;
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
  /** macKey is the audit key as a KeyObject, made once: every entry is MACed under it */
  private readonly macKey: KeyObject | undefined;

  private constructor(
    readonly path: string,
    private file: FileHandle,
    private seq: number,
    private headHash: string,
    private size: number,
    private readonly now: () => Date,
    private readonly key: Buffer | undefined,
    private readonly rotation: { maxBytes: number; keep: number },
  ) {
    this.macKey = key ? createSecretKey(key) : undefined;
  }

  /**
   * open recovers seq and prev_hash from the last line (checking its hash; the full chain is
   * verify's job). A torn final line — an append cut short by a crash, never acknowledged — is
   * truncated away so the next append starts on a clean line.
   */
  static async open(path: string, opts: AuditLogOptions = {}): Promise<AuditLog> {
    const file = await open(path, DSYNC_APPEND_READ, 0o600);
    try {
      const { size } = await file.stat();
      const tail = await readTail(file, size);
      if (tail.end < size) {
        await file.truncate(tail.end);
        await file.sync();
      }
      // a live file emptied by rotation continues the chain from the newest segment's last line
      const lastLine = tail.lastLine ?? (await lastSegmentLine(path));
      const last = lastLine === null ? null : parseLine(lastLine, opts.key);
      if (typeof last === 'string') {
        throw new AuditError('audit_corrupt', `Cannot open audit log "${path}": last line is ${last}`);
      }
      return new AuditLog(
        path,
        file,
        last?.seq ?? 0,
        last?.hash ?? GENESIS_HASH,
        tail.end,
        opts.now ?? (() => new Date()),
        opts.key,
        { maxBytes: opts.maxBytes ?? 0, keep: opts.keepSegments ?? 8 },
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
    const out: AuditEntry[] = [];
    // newest file first: the live one, then rotated segments from the newest
    for (const file of [this.path, ...(await listSegments(this.path)).reverse()]) {
      const text = await readFile(file, 'utf8').catch(emptyIfMissing);
      const lines = text.split('\n').slice(0, -1);
      for (let i = lines.length - 1; i >= 0 && out.length < query.limit; i--) {
        const entry = parseLine(lines[i]!, this.key);
        if (typeof entry === 'string') {
          throw new AuditError('audit_corrupt', `Cannot list audit log "${file}": line ${i + 1} is ${entry}`);
        }
        if (entry.seq <= (query.since ?? 0)) return out; // seq only grows down the files
        if (matches(entry, query)) out.push(entry);
      }
      if (out.length >= query.limit) break;
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
    return verifyChain(this.path, { ...(this.key ? { key: this.key } : {}), known });
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
    let [seq, head, text] = [this.seq, this.headHash, ''];
    // one clock read per batch: its entries are sealed in the same instant
    const ts = this.now().toISOString();
    for (const p of batch) {
      const { entry, line } = sealLine(p.input, seq + 1, ts, head, this.macKey);
      entries.push(entry);
      text += line;
      [seq, head] = [entry.seq, entry.hash];
    }
    const data = Buffer.from(text);
    const bytes = data.length;
    try {
      // one write, durable by itself (the file is opened O_DSYNC), on the handle's descriptor
      await writeDurably(this.file.fd, data, undefined, true);
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
    this.size += bytes;
    // the entries are durable; a failed rotation fails the NEXT append (broken) until a reopen repairs it
    if (this.rotation.maxBytes > 0 && this.size >= this.rotation.maxBytes)
      await this.rotate().catch(() => undefined);
    for (const [i, p] of batch.entries()) p.resolve(entries[i] as AuditEntry);
  }

  /**
   * rotate turns the live file into a segment and starts a new one: the next entry chains to this
   * one's hash, a checkpoint records the head, and segments beyond the kept count are deleted. The
   * entry that triggered it is already durable; a failure here is a failed append (reopen repairs).
   */
  private async rotate(): Promise<void> {
    try {
      await this.file.close();
      await rotateFile(this.path, this.seq);
      this.file = await open(this.path, DSYNC_APPEND_READ, 0o600);
      this.size = 0;
      if (this.key)
        await writeCheckpoint(checkpointPathFor(this.path), this.key, {
          seq: this.seq,
          head: this.headHash,
          ts: this.now().toISOString(),
        });
      await pruneSegments(this.path, this.rotation.keep, this.key);
    } catch (err) {
      this.broken = err;
      throw new AuditError('audit_write_failed', `Cannot rotate audit log: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
}

/** lastSegmentLine is the last line of the newest rotated segment, or null when there is none. */
async function lastSegmentLine(path: string): Promise<string | null> {
  const newest = (await listSegments(path)).at(-1);
  if (!newest) return null;
  return (await readFile(newest, 'utf8')).trimEnd().split('\n').at(-1) ?? null;
}

function matches(e: AuditEntry, q: AuditListQuery): boolean {
  return (
    (q.before === undefined || e.seq < q.before) &&
    (q.tenant === undefined || e.tenant === q.tenant) &&
    (q.vm === undefined || e.vm === q.vm)
  );
}
