import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, isVmpoolError } from '../../shared/errors.js';
import { isTempFileOf, syncDirectory } from '../../shared/atomic-file.js';
import { SidecarError } from './errors.js';
import { SIDECAR_SUFFIX, type Sidecar } from './schema.js';

/** QuarantinedSidecar is a sidecar file that could not be used, with why; corrupt ones are moved aside. */
export interface QuarantinedSidecar {
  readonly path: string;
  /** movedTo is `<path>.corrupt-<ms>`, or null when the file was left in place (an I/O error, not damage) */
  readonly movedTo: string | null;
  readonly code: string;
  readonly reason: string;
}

/** SidecarScan is what a scan of the images directory found. */
export interface SidecarScan {
  readonly sidecars: Sidecar[];
  readonly quarantined: QuarantinedSidecar[];
  /** removedTemps lists stray temp files (a write interrupted by a crash) that were deleted. */
  readonly removedTemps: string[];
}

/** ScanOptions are scanSidecars' dependencies: the root, depth bound, clock and reader. */
export interface ScanOptions {
  readonly imagesDir: string;
  readonly maxDepth: number;
  readonly now: () => number;
  readonly read: (file: string) => Promise<Sidecar | null>;
}

const READ_CONCURRENCY = 32;

interface Found {
  readonly files: string[];
  readonly temps: string[];
}

/**
 * scanSidecars walks imagesDir (bounded depth, symlinks never followed) for sidecars. It runs at
 * agent start, before any write, so every temp file it finds is debris from a crashed write.
 */
export async function scanSidecars(opts: ScanOptions): Promise<SidecarScan> {
  const found: Found = { files: [], temps: [] };
  await walk(opts.imagesDir, opts.maxDepth, found, true);
  const { files, temps } = found;
  await Promise.all(temps.map((t) => rm(t, { force: true })));
  const result: SidecarScan = { sidecars: [], quarantined: [], removedTemps: temps };
  await forEachLimited(files, READ_CONCURRENCY, async (file) => {
    try {
      const sidecar = await opts.read(file);
      if (sidecar) result.sidecars.push(sidecar);
    } catch (err) {
      result.quarantined.push(await quarantine(file, err, opts.now()));
    }
  });
  await syncTouchedDirectories([...temps, ...result.quarantined.filter((q) => q.movedTo).map((q) => q.path)]);
  result.sidecars.sort((a, b) => a.vm_id.localeCompare(b.vm_id));
  return result;
}

async function walk(dir: string, depthLeft: number, found: Found, isRoot = false): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    // A subdirectory removed while we walk is fine; a missing images root is a configuration error.
    if (err.code === 'ENOENT' && !isRoot) return null;
    throw err;
  });
  if (!entries) return;
  const subdirs: Promise<void>[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    // Dirent types come from lstat semantics: a symlink is never a file or directory here.
    if (entry.isDirectory() && depthLeft > 0) subdirs.push(walk(full, depthLeft - 1, found));
    else if (!entry.isFile()) continue;
    else if (isTempFileOf(entry.name, SIDECAR_SUFFIX)) found.temps.push(full);
    else if (entry.name.endsWith(SIDECAR_SUFFIX)) found.files.push(full);
  }
  await Promise.all(subdirs);
}

// Only damage we recognise (corrupt JSON, wrong schema, unknown version) moves the file aside;
// an I/O error is reported but the file stays, since it may read fine once the disk recovers.
async function quarantine(file: string, err: unknown, now: number): Promise<QuarantinedSidecar> {
  const code = isVmpoolError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? 'sidecar_unreadable');
  const reason = errorMessage(err);
  if (!(err instanceof SidecarError)) return { path: file, movedTo: null, code, reason };
  const movedTo = `${file}.corrupt-${now}`;
  await rename(file, movedTo);
  return { path: file, movedTo, code, reason };
}

async function syncTouchedDirectories(files: string[]): Promise<void> {
  const dirs = new Set(files.map((f) => path.dirname(f)));
  await Promise.all([...dirs].map((d) => syncDirectory(d)));
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
