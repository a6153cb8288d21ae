import type { Etcd3 } from 'etcd3';
import { errorMessage } from '../../shared/errors.js';
import { StoreError } from '../store/errors.js';
import type { Fence } from '../store/etcd-store.js';
import type { AuditListQuery } from './audit-log.js';
import {
  type AuditEntry,
  AuditError,
  type AuditInput,
  GENESIS_HASH,
  formatLine,
  parseLine,
  sealEntry,
} from './entry.js';
import type { AuditJournal } from './journal.js';
import { type VerifyResult, verifyText } from './verify.js';

/** EtcdAuditLogOptions: the shared client, the key prefix, the leader's fence and the call bound. */
export interface EtcdAuditLogOptions {
  client: Etcd3;
  prefix: string;
  fence?: () => Fence | null;
  timeoutMs?: number;
  now?: () => Date;
}

interface Head {
  seq: number;
  hash: string;
  /** mod_revision of the head key; '0' when no entry exists yet */
  rev: string;
}

/**
 * EtcdAuditLog is the hash-chained audit log kept in etcd, so the chain stays ONE chain across
 * leaders: `<prefix>/audit/head` holds the last seq and hash, `<prefix>/audit/e/<seq>` each entry
 * in the file log's line format. An append is one transaction that compares the head (so two
 * writers can never both extend it) and the leader's fence, and puts entry and head together.
 */
export class EtcdAuditLog implements AuditJournal {
  private queue: Promise<unknown> = Promise.resolve();
  private head: Head | null = null;

  constructor(private readonly o: EtcdAuditLogOptions) {}

  private get headKey(): string {
    return `${this.o.prefix}/audit/head`;
  }

  private get entryPrefix(): string {
    return `${this.o.prefix}/audit/e/`;
  }

  /** append records one entry durably (after etcd's quorum commit) and returns it as written. */
  append(input: AuditInput): Promise<AuditEntry> {
    const result = this.queue.then(() => this.write(input));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** list reads the newest entries matching query, newest first. */
  async list(q: AuditListQuery): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for (const e of (await this.entries()).reverse()) {
      if (out.length >= q.limit || e.seq <= (q.since ?? 0)) break;
      if (q.before !== undefined && e.seq >= q.before) continue;
      if (q.tenant !== undefined && e.tenant !== q.tenant) continue;
      if (q.vm !== undefined && e.vm !== q.vm) continue;
      out.push(e);
    }
    return out;
  }

  /** verify checks the whole chain in etcd, with the file log's rules. */
  async verify(): Promise<VerifyResult> {
    const res = await this.o.client.getAll().prefix(this.entryPrefix).sort('Key', 'Ascend').strings();
    return verifyText(
      Object.values(res)
        .map((line) => `${line}\n`)
        .join(''),
    );
  }

  /** close waits for pending appends. */
  async close(): Promise<void> {
    await this.queue;
  }

  private async write(input: AuditInput): Promise<AuditEntry> {
    for (let attempt = 0; ; attempt++) {
      const head = this.head ?? (await this.readHead());
      const entry = sealEntry(input, head.seq + 1, (this.o.now?.() ?? new Date()).toISOString(), head.hash);
      const ok = await this.commit(head, entry);
      if (ok) return entry;
      this.head = null; // someone else extended the chain: re-read its head and chain after it
      if (attempt >= 2)
        throw new AuditError('audit_write_failed', 'Cannot append to audit log: head keeps moving');
    }
  }

  private async commit(head: Head, entry: AuditEntry): Promise<boolean> {
    const c = this.o.client;
    const fence = this.o.fence ? this.o.fence() : null;
    if (this.o.fence && !fence)
      throw new StoreError('not_leader', 'Cannot append to audit log: this coordinator is not the leader');
    let txn = c.if(this.headKey, 'Mod', '==', head.rev);
    if (fence) txn = txn.and(fence.key, 'Create', '==', fence.createRevision);
    const line = formatLine(entry).slice(0, -1);
    const next = JSON.stringify({ seq: entry.seq, hash: entry.hash });
    const res = await this.call(() =>
      txn
        .then(
          c.put(`${this.entryPrefix}${String(entry.seq).padStart(12, '0')}`).value(line),
          c.put(this.headKey).value(next),
        )
        .options(this.deadline())
        .commit(),
    );
    if (res.succeeded) {
      this.head = { seq: entry.seq, hash: entry.hash, rev: res.header.revision };
      return true;
    }
    if (fence) {
      const kv = await this.call(() => c.get(fence.key).options(this.deadline()).exec());
      if (kv.kvs[0]?.create_revision !== fence.createRevision)
        throw new StoreError('fenced', 'Cannot append to audit log: leadership was lost (fenced)');
    }
    return false;
  }

  private async readHead(): Promise<Head> {
    const res = await this.call(() => this.o.client.get(this.headKey).options(this.deadline()).exec());
    const kv = res.kvs[0];
    if (!kv) return { seq: 0, hash: GENESIS_HASH, rev: '0' };
    const h = JSON.parse(kv.value.toString()) as { seq: number; hash: string };
    return { seq: h.seq, hash: h.hash, rev: kv.mod_revision };
  }

  private async entries(): Promise<AuditEntry[]> {
    const res = await this.call(() =>
      this.o.client.getAll().prefix(this.entryPrefix).sort('Key', 'Ascend').strings(),
    );
    return Object.entries(res).map(([key, line]) => {
      const e = parseLine(line);
      if (typeof e === 'string')
        throw new AuditError('audit_corrupt', `Cannot list audit log: ${key} is ${e}`);
      return e;
    });
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreError || err instanceof AuditError) throw err;
      throw new StoreError('no_quorum', `Cannot reach an etcd quorum: ${errorMessage(err)}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + (this.o.timeoutMs ?? 3_000)) };
  }
}
