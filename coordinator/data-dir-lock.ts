import { join } from 'node:path';
import { VmpoolError } from '../shared/errors.js';
import { lockFileExclusive } from '../shared/flock.js';

/** DataDirLockError: another coordinator process owns the data dir (code coordinator_running). */
export class DataDirLockError extends VmpoolError {
  constructor(dir: string, pid: number) {
    super(
      'coordinator_running',
      `Cannot use data dir ${dir}: coordinator process ${pid || '(unknown)'} owns it. Stop it first, or run several coordinators on --store etcd`,
      { details: { pid } },
    );
    this.name = 'DataDirLockError';
  }
}

/**
 * lockDataDir makes this process the only coordinator on a data dir, so two coordinators never
 * each load half the state and fork the audit chain. The flock file is `<dir>/coordinator.lock`
 * and holds the owner's pid; the kernel releases it when the process dies.
 */
export function lockDataDir(dir: string): Promise<() => Promise<void>> {
  return lockFileExclusive(join(dir, 'coordinator.lock'), (pid) => new DataDirLockError(dir, pid));
}
