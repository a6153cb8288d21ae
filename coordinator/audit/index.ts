export { AuditLog, type AuditListQuery, type AuditLogOptions } from './audit-log.js';
export {
  type AuditEntry,
  AuditError,
  type AuditInput,
  GENESIS_HASH,
  canonicalJson,
  hashEntry,
} from './entry.js';
export { type Checkpoint, checkpointPathFor, readCheckpoint, writeCheckpoint } from './checkpoint.js';
export { loadAuditKey } from './key.js';
export { type KnownHead, type VerifyReason, type VerifyResult, verify, verifyText } from './verify.js';
export { EtcdAuditLog, type EtcdAuditLogOptions } from './etcd-audit-log.js';
export type { AuditJournal } from './journal.js';
