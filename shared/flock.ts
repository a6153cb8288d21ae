import { type FileHandle, open, readFile } from 'node:fs/promises';
import koffi from 'koffi';

const LOCK_EX = 2;
const LOCK_NB = 4;
let flockFn: ((fd: number, op: number) => number) | undefined;
/** held keeps every lock's handle reachable: a collected FileHandle is closed, which drops its flock */
const held = new Set<FileHandle>();

/** flock is libc's flock(2) through koffi: the kernel drops the lock when its holder dies, so no lock is ever stale. */
function flock(fd: number, op: number): number {
  flockFn ??= koffi.load('libc.so.6').func('int flock(int fd, int operation)') as (
    fd: number,
    op: number,
  ) => number;
  return flockFn(fd, op);
}

/**
 * lockFileExclusive takes an exclusive, non-blocking flock on `file` and writes this process's pid
 * into it (for the holder's message). When another process holds it, it throws held(pid) with the
 * holder's pid (0 when unreadable). The lock is held until the returned release runs or the process
 * exits, even if the caller drops the release function.
 */
export async function lockFileExclusive(
  file: string,
  heldBy: (pid: number) => Error,
): Promise<() => Promise<void>> {
  const fh = await open(file, 'a+', 0o644);
  if (flock(fh.fd, LOCK_EX | LOCK_NB) !== 0) {
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    await fh.close();
    throw heldBy(Number.isInteger(owner) ? owner : 0);
  }
  await fh.truncate(0);
  await fh.write(`${process.pid}\n`, 0);
  held.add(fh);
  // closing the descriptor releases the flock; the file stays (an unlink would race the next taker)
  return () => {
    held.delete(fh);
    return fh.close();
  };
}
