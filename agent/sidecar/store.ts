import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { checkInside, describeOutside } from '../validate/paths.js';
import { syncDirectory, writeFileAtomic } from '../../shared/atomic-file.js';
import { decodeSidecar, encodeSidecar } from './codec.js';
import { SidecarError } from './errors.js';
import { type SidecarScan, scanSidecars } from './scan.js';
import { type Sidecar, SidecarSchema, sidecarPathFor } from './schema.js';

/** SidecarStoreOptions configures a SidecarStore: the images root it may touch and its clock. */
export interface SidecarStoreOptions {
  readonly imagesDir: string;
  readonly now?: () => number;
  /** maxDepth bounds how deep scan() descends below imagesDir (default 4). */
  readonly maxDepth?: number;
}

/** SidecarStore keeps each VM's state as an atomically written 0600 JSON file next to its disk. */
export class SidecarStore {
  readonly imagesDir: string;
  private readonly now: () => number;
  private readonly maxDepth: number;

  constructor(opts: SidecarStoreOptions) {
    this.imagesDir = path.resolve(opts.imagesDir);
    this.now = opts.now ?? Date.now;
    this.maxDepth = opts.maxDepth ?? 4;
  }

  /** pathFor gives the sidecar path for a disk, refusing disks outside imagesDir. */
  pathFor(diskPath: string): string {
    const file = sidecarPathFor(diskPath);
    const check = checkInside(this.imagesDir, file);
    if (!check.ok) {
      throw new SidecarError(
        'path_outside_images_dir',
        `Cannot place sidecar for ${JSON.stringify(diskPath)}: ${describeOutside(check.reason, this.imagesDir)}`,
        { details: { path: diskPath, images_dir: this.imagesDir, reason: check.reason } },
      );
    }
    return check.path;
  }

  /** write stores the sidecar with generation + 1 and a fresh updated_at, and returns what was stored. */
  async write(sidecar: Sidecar): Promise<Sidecar> {
    const file = this.pathFor(sidecar.spec.disk_path);
    const next = this.nextGeneration(sidecar, file);
    try {
      await writeFileAtomic(file, encodeSidecar(next), { mode: 0o600 });
    } catch (err) {
      const errno = (err as NodeJS.ErrnoException).code;
      throw new SidecarError(
        'sidecar_write_failed',
        `Cannot write sidecar ${file}: ${errno ?? String(err)}`,
        {
          cause: err,
          retryable: errno === 'ENOSPC' || errno === 'EIO' || errno === 'EDQUOT',
          details: { path: file, vm_id: sidecar.vm_id, errno },
        },
      );
    }
    return next;
  }

  // Validating before writing keeps a bad in-memory object from ever becoming a quarantined file.
  private nextGeneration(sidecar: Sidecar, file: string): Sidecar {
    const next = {
      ...sidecar,
      generation: sidecar.generation + 1,
      updated_at: new Date(this.now()).toISOString(),
    };
    const parsed = SidecarSchema.safeParse(next);
    if (parsed.success) return parsed.data;
    const first = parsed.error.issues[0];
    throw new SidecarError(
      'sidecar_write_failed',
      `Cannot write sidecar ${file}: ${first?.path.join('.')} ${first?.message}`,
      {
        details: { path: file, vm_id: sidecar.vm_id },
      },
    );
  }

  /** read loads and validates one sidecar file; null when it does not exist. Never follows a symlink. */
  async read(file: string): Promise<Sidecar | null> {
    let text: string;
    try {
      const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return decodeSidecar(text, file);
  }

  /** readForDisk loads the sidecar that belongs to a disk; null when there is none. */
  async readForDisk(diskPath: string): Promise<Sidecar | null> {
    return this.read(this.pathFor(diskPath));
  }

  /** remove deletes a disk's sidecar (missing is fine) and makes the unlink durable. */
  async remove(diskPath: string): Promise<void> {
    const file = this.pathFor(diskPath);
    await rm(file, { force: true });
    await syncDirectory(path.dirname(file));
  }

  /** scan finds every sidecar under imagesDir, quarantining unreadable ones and deleting stray temp files. */
  async scan(): Promise<SidecarScan> {
    return scanSidecars({
      imagesDir: this.imagesDir,
      maxDepth: this.maxDepth,
      now: this.now,
      read: (file) => this.read(file),
    });
  }
}
