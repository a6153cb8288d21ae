import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmpoolError } from '../shared/errors.js';

/**
 * lockPathFor names the lock of an images dir. It lives under /run/lock (tmpfs, gone at reboot, like
 * the processes it guards), not in the images dir, so a full images filesystem cannot break locking.
 */
export async function lockPathFor(
  dir: string,
  lockDir = existsSync('/run/lock') ? '/run/lock' : tmpdir(),
): Promise<string> {
  const real = await realpath(dir).catch(() => dir);
  return join(lockDir, `vmpool-agent-${createHash('sha256').update(real).digest('hex').slice(0, 16)}.lock`);
}

/** AgentLockError: another agent process (usually the service) owns the images dir. */
export class AgentLockError extends VmpoolError {
  constructor(dir: string, pid: number) {
    super(
      'agent_running',
      `Cannot use ${dir}: agent process ${pid} owns it. Stop the service first (VMs keep running) or go through the coordinator`,
      { details: { pid } },
    );
    this.name = 'AgentLockError';
  }
}

/**
 * lockImagesDir makes this process the only agent working on an images dir, so a local
 * `vmpool-agent spawn` cannot pin threads the running service does not know about. A lock left by
 * a dead process is taken over. Returns the release function.
 */
export async function lockImagesDir(dir: string, lockDir?: string): Promise<() => Promise<void>> {
  const file = await lockPathFor(dir, lockDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => release(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner))
        throw new AgentLockError(dir, owner);
      await rm(file, { force: true });
    }
  }
  throw new AgentLockError(dir, 0);
}

async function release(file: string): Promise<void> {
  const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (owner === process.pid) await rm(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
