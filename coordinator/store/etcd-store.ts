import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { errorMessage } from '../../shared/errors.js';
import { BatchedStore } from './batched-store.js';
import { StoreError } from './errors.js';
import { diffStates, placeRecord, type RecordOp, StoreKeys } from './etcd-keys.js';
import { type StoreState, emptyState } from './types.js';

/** Fence is the leadership a write must still hold: the election key and its create revision. */
export interface Fence {
  key: string;
  createRevision: string;
}

/** EtcdStoreOptions: the client, the key prefix and, under election, where the fence comes from. */
export interface EtcdStoreOptions {
  client: Etcd3;
  /** prefix every key lives under, e.g. `/vmpool` */
  prefix: string;
  /** fence returns the leadership to compare on, or null when this process is not leader (writes refused) */
  fence?: () => Fence | null;
  /** timeoutMs bounds every etcd call; past it the outcome is unknown and the write fails with no_quorum */
  timeoutMs?: number;
  /** maxTxnOps must not exceed the cluster's --max-txn-ops */
  maxTxnOps?: number;
  /** onUnknownOutcome runs when a write may or may not have landed (the caller should resync) */
  onUnknownOutcome?: (err: StoreError) => void;
}

/**
 * EtcdStore keeps StoreState in etcd, one key per record, under the same group-commit contract as
 * the file store. Each batch is ONE transaction: it compares every key it writes on the
 * mod_revision this store last saw (so a change made elsewhere is never overwritten) and, under
 * election, the election key's create revision (so a deposed leader writes nothing). A follower
 * mirrors the leader's writes through a watch and serves reads from memory.
 */
export class EtcdStore extends BatchedStore {
  readonly keys: StoreKeys;
  private durable: StoreState = emptyState();
  private readonly revs = new Map<string, string>();
  private revision = '0';
  /** waiters resolve once the view reaches their revision (read-your-writes through a follower) */
  private waiters: { rev: bigint; done: () => void }[] = [];
  private watcher: Watcher | null = null;
  /** external counts state changes made without a write here (mirrored, reloaded): caches keyed on writes see them */
  private external = 0;

  constructor(private readonly o: EtcdStoreOptions) {
    super();
    this.keys = new StoreKeys(o.prefix);
  }

  /** writes counts this store's durable writes plus the changes it took from etcd (mirror, reload). */
  override get writes(): number {
    return super.writes + this.external;
  }

  /** headRevision is the etcd revision this store's view is at. */
  get headRevision(): string {
    return this.revision;
  }

  /**
   * reached resolves true once this store's view is at `rev` or later (a follower's watch has
   * mirrored that write), false after `timeoutMs`.
   */
  reached(rev: string, timeoutMs: number): Promise<boolean> {
    let want: bigint;
    try {
      want = BigInt(rev);
    } catch {
      return Promise.resolve(false);
    }
    if (BigInt(this.revision) >= want) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        rev: want,
        done: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** follow mirrors writes made by others into the live state (follower mode) until lead(). */
  async follow(): Promise<void> {
    await this.stopWatch();
    const w = await this.o.client
      .watch()
      .prefix(this.keys.records)
      .startRevision(String(BigInt(this.revision) + 1n))
      .create();
    w.on('put', (kv) => this.mirror(kv, false));
    w.on('delete', (kv) => this.mirror(kv, true));
    w.on('error', () => undefined); // the watcher reconnects by itself from its last revision
    this.watcher = w;
  }

  /** lead stops mirroring and reloads everything, so the new leader writes on etcd's latest state. */
  async lead(): Promise<StoreState> {
    await this.stopWatch();
    const state = await this.load();
    this.external++;
    return state;
  }

  /** close stops the watch (the client is the caller's). */
  close(): Promise<void> {
    return this.stopWatch();
  }

  protected async readDurable(): Promise<StoreState | null> {
    const res = await this.call(() =>
      this.o.client.getAll().prefix(this.keys.records).options(this.deadline()).exec(),
    );
    const state = emptyState();
    this.revs.clear();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      const at = this.keys.parse(key);
      if (!at) continue;
      placeRecord(state, at, parseRecord(key, kv.value));
      this.revs.set(key, kv.mod_revision);
    }
    this.revision = res.header.revision;
    this.wake();
    this.durable = state;
    return state;
  }

  protected persist(state: StoreState): Promise<void> {
    const ops = diffStates(this.keys, this.durable, state);
    return this.commit(ops).then(() => {
      this.durable = state;
    });
  }

  private async commit(ops: RecordOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length > (this.o.maxTxnOps ?? 4096))
      throw new StoreError('store_write_failed', `Cannot write ${ops.length} records in one transaction`);
    const fence = this.o.fence ? this.o.fence() : null;
    if (this.o.fence && !fence)
      throw new StoreError(
        'not_leader',
        'Cannot write coordinator state: this coordinator is not the leader',
      );
    const c = this.o.client;
    let txn = fence ? c.if(fence.key, 'Create', '==', fence.createRevision) : null;
    for (const op of ops) {
      const rev = this.revs.get(op.key) ?? '0';
      txn = txn ? txn.and(op.key, 'Mod', '==', rev) : c.if(op.key, 'Mod', '==', rev);
    }
    const puts = ops.map((op) =>
      op.kind === 'put' ? c.put(op.key).value(op.value) : c.delete().key(op.key),
    );
    const res = await this.call(() =>
      txn!
        .then(...puts)
        .options(this.deadline())
        .commit(),
    );
    if (!res.succeeded) throw await this.refusal(fence);
    for (const op of ops) {
      if (op.kind === 'put') this.revs.set(op.key, res.header.revision);
      else this.revs.delete(op.key);
    }
    this.revision = res.header.revision;
    this.wake();
  }

  /** refusal names why a transaction's compare failed: lost leadership, or a key changed elsewhere. */
  private async refusal(fence: Fence | null): Promise<StoreError> {
    if (fence) {
      const kv = await this.call(() => this.o.client.get(fence.key).options(this.deadline()).exec());
      if (kv.kvs[0]?.create_revision !== fence.createRevision)
        return new StoreError('fenced', 'Cannot write coordinator state: leadership was lost (fenced)');
    }
    return new StoreError(
      'store_write_failed',
      'Cannot write coordinator state: a record changed in etcd since it was read',
      { retryable: true },
    );
  }

  /** call runs one etcd request; a transport failure or timeout is no_quorum (outcome unknown). */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const e = new StoreError(
        'no_quorum',
        `Cannot reach an etcd quorum (a write's outcome is unknown: etcd may apply it when quorum returns): ${errorMessage(err)}`,
        {
          cause: err,
          retryable: true,
        },
      );
      this.o.onUnknownOutcome?.(e);
      throw e;
    }
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + (this.o.timeoutMs ?? 3_000)) };
  }

  private mirror(kv: IKeyValue, deleted: boolean): void {
    const key = kv.key.toString();
    const at = this.keys.parse(key);
    if (!at) return;
    const value = deleted ? undefined : parseRecord(key, kv.value);
    this.applyExternal((d) => placeRecord(d, at, value));
    if (deleted) this.revs.delete(key);
    else this.revs.set(key, kv.mod_revision);
    this.revision = kv.mod_revision;
    this.durable = this.read();
    this.external++;
    this.wake();
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const at = BigInt(this.revision);
    const due = this.waiters.filter((w) => w.rev <= at);
    this.waiters = this.waiters.filter((w) => w.rev > at);
    for (const w of due) w.done();
  }

  private async stopWatch(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    await w?.cancel();
  }
}

function parseRecord(key: string, value: Buffer): unknown {
  try {
    return JSON.parse(value.toString());
  } catch {
    throw new StoreError('store_corrupt', `Cannot read coordinator state: etcd key "${key}" is not JSON`);
  }
}
