import { fdatasync, write } from 'node:fs';

/**
 * writeDurably writes all of `data` at the file's end (`fd` opened for appending) and fdatasyncs it,
 * resolving with the bytes written once they are on disk. The fdatasync is started from the write's
 * own callback: one promise per durable point instead of one per call (the creates bench's group
 * commits dispatch ~4 of these per create). A short write rejects before any fdatasync, as does a
 * failed write; `afterWrite` runs between the two (a test's crash point).
 */
export function writeDurably(fd: number, data: Buffer, afterWrite?: () => void): Promise<number> {
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
      fdatasync(fd, (syncErr) => (syncErr ? reject(syncErr) : resolve(written)));
    });
  });
}
