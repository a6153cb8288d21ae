import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';
import type { Logger } from '../../shared/log.js';
import { BrokerError } from '../errors.js';
import { type MeteringRecord, MeteringRecordSchema } from './record.js';

interface Pending {
  line: string;
  record: MeteringRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * MeteringJournal is the append-only metering log (one JSON line per completed inference). append()
 * resolves only after the line is written and fdatasync'd; appends that arrive while a sync runs
 * share the next write and sync (group commit). Opening drops a torn last line from a crash.
 */
export class MeteringJournal {
  private readonly records: MeteringRecord[] = [];
  private pending: Pending[] = [];
  private flushing = false;

  private constructor(
    private readonly fh: FileHandle,
    private readonly log: Logger,
  ) {}

  /** open loads the journal at path (creating it) and repairs a torn tail. */
  static async open(path: string, log: Logger): Promise<MeteringJournal> {
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      log.warn('metering torn tail dropped', { path, bytes: Buffer.byteLength(text.slice(end)) });
      await truncate(path, Buffer.byteLength(text.slice(0, end)));
    }
    const j = new MeteringJournal(await open(path, 'a', 0o600), log);
    for (const [i, line] of text.slice(0, end).split('\n').entries()) {
      if (!line) continue;
      const r = MeteringRecordSchema.safeParse(parseLine(line));
      if (r.success) j.records.push(r.data);
      else log.error('metering line unreadable', { path, line: i + 1 });
    }
    return j;
  }

  /** all is every record, in append order. */
  all(): readonly MeteringRecord[] {
    return this.records;
  }

  /** append makes record durable; it is visible to readers only once synced. */
  append(record: MeteringRecord): Promise<void> {
    // parsed: key order is the schema's, so a record hashes the same before and after a restart
    const parsed = MeteringRecordSchema.parse(record);
    const line = `${JSON.stringify(parsed)}\n`;
    return new Promise((resolve, reject) => {
      this.pending.push({ line, record: parsed, resolve, reject });
      void this.flush();
    });
  }

  /** close waits for queued appends and closes the file. */
  async close(): Promise<void> {
    while (this.flushing || this.pending.length) await new Promise((r) => setTimeout(r, 5));
    await this.fh.close();
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.fh.write(batch.map((p) => p.line).join(''));
          await this.fh.datasync();
          for (const p of batch) this.records.push(p.record);
          for (const p of batch) p.resolve();
        } catch (err) {
          this.log.error('metering write failed', { err, records: batch.length });
          const e = new BrokerError('metering_write_failed', 'Cannot record metering', { cause: err });
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

/** parseLine reads one journal line; a line torn by a failed write reads as null (logged, skipped). */
function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
