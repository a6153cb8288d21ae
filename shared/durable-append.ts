import { constants, fdatasync, write } from 'node:fs';

const { O_APPEND, O_CREAT, O_DSYNC, O_RDWR, O_WRONLY } = constants;

/**
 * DSYNC_APPEND opens a file for durable appends (DSYNC_APPEND_READ: and reads): with O_DSYNC each
 * write(2) returns only once its bytes, and the size they grew the file by, are on disk, as a write
 * then an fdatasync would, in one trip to the thread pool instead of two. writeDurably on such a
 * descriptor, told so, issues no fdatasync.
 */
export const DSYNC_APPEND = O_WRONLY | O_APPEND | O_CREAT | O_DSYNC;
export const DSYNC_APPEND_READ = O_RDWR | O_APPEND | O_CREAT | O_DSYNC;

/**
 * writeDurably writes all of `data` at the file's end (`fd` opened for appending) and fdatasyncs it,
 * resolving with the bytes written once they are on disk. The fdatasync is started from the write's
 * own callback: one promise per durable point instead of one per call. With `dsync` (the descriptor
 * was opened with DSYNC_APPEND) the write itself is durable and no fdatasync follows. A short write
 * rejects before any fdatasync, as does a failed write; `afterWrite` runs after the write (a test's
 * crash point).
 */
export function writeDurably(
  fd: number,
  data: Buffer,
  afterWrite?: () => void,
  dsync = false,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    write(fd, data, 0, data.length, null, (err, written) => {
      if (err) return reject(err);
      if (written !== data.length)
        return reject(new Error(`short write: ${written} of ${data.length} bytes`));
      try {
        afterWrite?.();
      } catch (hookErr) {
        return reject(hookErr);
      }
      if (dsync) return resolve(written);
      fdatasync(fd, (syncErr) => (syncErr ? reject(syncErr) : resolve(written)));
    });
  });
}
