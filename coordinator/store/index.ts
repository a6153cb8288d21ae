export { BatchedStore } from './batched-store.js';
export { StoreError } from './errors.js';
export { FsyncJsonFile } from './fsync-json-file.js';
export { LowdbStore, type LowdbStoreOptions } from './lowdb-store.js';
export { FailingStore, MemoryStore } from './memory-store.js';
export * from './types.js';
