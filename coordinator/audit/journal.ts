import type { AuditListQuery } from './audit-log.js';
import type { AuditEntry, AuditInput } from './entry.js';

/**
 * AuditJournal is what the coordinator needs of an audit trail: the file log (AuditLog) in
 * single-node mode, the etcd log (EtcdAuditLog) when coordinators share state.
 */
export interface AuditJournal {
  /** append records one entry durably and returns it as written */
  append(input: AuditInput): Promise<AuditEntry>;
  /** list reads the newest entries matching query, newest first */
  list(query: AuditListQuery): Promise<AuditEntry[]>;
  /** close waits for pending appends */
  close(): Promise<void>;
}
