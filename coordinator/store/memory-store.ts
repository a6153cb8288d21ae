import { BatchedStore } from './batched-store.js';
import { StoreError } from './errors.js';
import type { StoreState } from './types.js';

/** MemoryStore keeps state only in memory (tests, dry runs); same batching and rollback as the file store. */
export class MemoryStore extends BatchedStore {
  /** failWrites makes every following write fail, for rollback tests */
  failWrites = false;
  /** auditAlongside as the file store (see Store); false makes the claim book write, then audit */
  auditAlongside = true;
  private saved: string | null = null;

  constructor(private readonly initial: StoreState | null = null) {
    super();
  }

  /** reopen is a new store over this one's durable copy, as a restarted coordinator would load it. */
  reopen(): MemoryStore {
    return new MemoryStore(this.saved === null ? this.initial : (JSON.parse(this.saved) as StoreState));
  }

  protected override updatesInPlace(): boolean {
    return true;
  }

  protected readDurable(): Promise<StoreState | null> {
    if (this.saved !== null) return Promise.resolve(JSON.parse(this.saved) as StoreState);
    return Promise.resolve(this.initial ? structuredClone(this.initial) : null);
  }

  protected persist(state: StoreState): Promise<void> {
    if (this.failWrites) return Promise.reject(writeFailed());
    this.saved = JSON.stringify(state);
    return Promise.resolve();
  }
}

/** FailingStore is a store whose every write fails, proving callers see rollback and the error. */
export class FailingStore extends MemoryStore {
  constructor(initial: StoreState | null = null) {
    super(initial);
    this.failWrites = true;
  }
}

function writeFailed(): StoreError {
  return new StoreError('store_write_failed', 'Cannot write coordinator state: injected failure', {
    retryable: true,
  });
}
