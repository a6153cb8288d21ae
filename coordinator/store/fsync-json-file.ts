import { readFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import { writeFileAtomic } from '../../shared/atomic-file.js';
import { StoreError } from './errors.js';

/**
 * FsyncJsonFile is a lowdb Adapter that writes durably: temp file, fsync, rename, fsync directory.
 *
 * lowdb's own JSONFile (via steno) renames atomically but never fsyncs, so after a power cut the
 * rename can survive while the data does not. Writes must not overlap (BatchedStore guarantees one
 * at a time), which is why one fixed temp name is enough.
 */
export class FsyncJsonFile<T> implements Adapter<T> {
  constructor(private readonly path: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new StoreError('store_corrupt', `Cannot read coordinator state "${this.path}": invalid JSON`, {
        cause: err,
      });
    }
  }

  write(data: T): Promise<void> {
    // Serialised before any await so the bytes are exactly the state at the moment of the call.
    return this.writeText(`${JSON.stringify(data)}\n`);
  }

  private writeText(text: string): Promise<void> {
    return writeFileAtomic(this.path, text, { mode: 0o600 });
  }
}
