import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmpoolError } from '../shared/errors.js';
import { lockFileExclusive } from '../shared/flock.js';

/** AgentLockError: another agent process (usually the service) owns the images dir. */
export class AgentLockError extends VmpoolError {
  constructor(dir: string, pid: number) {
    super(
      'agent_running',
      `Cannot use ${dir}: agent process ${pid || '(unknown)'} owns it. Stop the service first (VMs keep running) or go through the coordinator`,
      { details: { pid } },
    );
    this.name = 'AgentLockError';
  }
}

/**
 * lockPathFor names the lock of an images dir. It lives under /run/lock (tmpfs), not in the images
 * dir, so a full images filesystem cannot break locking.
 */
export async function lockPathFor(
  dir: string,
  lockDir = existsSync('/run/lock') ? '/run/lock' : tmpdir(),
): Promise<string> {
  const real = await realpath(dir).catch(() => dir);
  return join(lockDir, `vmpool-agent-${createHash('sha256').update(real).digest('hex').slice(0, 16)}.lock`);
}

/**
 * lockImagesDir makes this process the only agent working on an images dir, so a local
 * `vmpool-agent spawn` cannot pin threads the running service does not know about. The lock is an
 * flock on a file holding the owner's pid (for the message); it is held until release or exit.
 */
export async function lockImagesDir(dir: string, lockDir?: string): Promise<() => Promise<void>> {
  const file = await lockPathFor(dir, lockDir);
  return lockFileExclusive(file, (pid) => new AgentLockError(dir, pid));
}
