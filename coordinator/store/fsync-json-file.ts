import { open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { StoreError } from './errors.js';

/**
 * FsyncJsonFile is a lowdb Adapter that writes durably: temp file, fsync, rename, fsync directory.
 *
 * lowdb's own JSONFile (via steno) renames atomically but never fsyncs, so after a power cut the
 * rename can survive while the data does not. Writes must not overlap (BatchedStore guarantees one
 * at a time), which is why one fixed temp name is enough.
 */
export class FsyncJsonFile<T> implements Adapter<T> {
  private readonly tempPath: string;

  constructor(private readonly path: string) {
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp`);
  }

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

  private async writeText(text: string): Promise<void> {
    const file = await open(this.tempPath, 'w', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(this.tempPath, this.path);
    await syncDirectory(dirname(this.path));
  }
}

/** syncDirectory makes a rename in dir durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
