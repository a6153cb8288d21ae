import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import { VmpoolError } from '../shared/errors.js';

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

const LOCK_EX = 2;
const LOCK_NB = 4;
let flockFn: ((fd: number, op: number) => number) | undefined;

/** flock is libc's flock(2) through koffi: the kernel drops the lock when its holder dies, so no lock is ever stale. */
function flock(fd: number, op: number): number {
  flockFn ??= koffi.load('libc.so.6').func('int flock(int fd, int operation)') as (
    fd: number,
    op: number,
  ) => number;
  return flockFn(fd, op);
}

/**
 * lockImagesDir makes this process the only agent working on an images dir, so a local
 * `vmpool-agent spawn` cannot pin threads the running service does not know about. The lock is an
 * flock on a file holding the owner's pid (for the message); it is held until release or exit.
 */
export async function lockImagesDir(dir: string, lockDir?: string): Promise<() => Promise<void>> {
  const file = await lockPathFor(dir, lockDir);
  const fh = await open(file, 'a+', 0o644);
  if (flock(fh.fd, LOCK_EX | LOCK_NB) !== 0) {
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    await fh.close();
    throw new AgentLockError(dir, Number.isInteger(owner) ? owner : 0);
  }
  await fh.truncate(0);
  await fh.write(`${process.pid}\n`, 0);
  // closing the descriptor releases the flock; the file stays (an unlink would race the next taker)
  return () => fh.close();
}
