import { type Adapter, Low } from 'lowdb';
import { BatchedStore } from './batched-store.js';
import { StoreError } from './errors.js';
import { FsyncJsonFile } from './fsync-json-file.js';
import { type StoreState, emptyState } from './types.js';

/** LowdbStoreOptions lets tests swap the adapter (for fault injection) under the same store. */
export interface LowdbStoreOptions {
  adapter?: Adapter<StoreState>;
}

/** LowdbStore is the embedded default store: one JSON file through lowdb, group-committed and fsynced. */
export class LowdbStore extends BatchedStore {
  private readonly db: Low<StoreState>;

  constructor(
    readonly path: string,
    opts: LowdbStoreOptions = {},
  ) {
    super();
    this.db = new Low(opts.adapter ?? new FsyncJsonFile<StoreState>(path), emptyState());
  }

  protected async readDurable(): Promise<StoreState | null> {
    const data = await this.db.adapter.read();
    if (data === null) return null;
    checkShape(data, this.path);
    this.db.data = data;
    return data;
  }

  protected persist(state: StoreState): Promise<void> {
    this.db.data = state;
    return this.db.write();
  }
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
