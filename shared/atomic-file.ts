import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** TEMP_MARKER separates a target's name from the random suffix of its in-flight temp file. */
export const TEMP_MARKER = '.tmp-';

/** tempPathFor names a fresh hidden temp file beside `target`: `.<name>.tmp-<random>`. */
export function tempPathFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}${TEMP_MARKER}${randomBytes(6).toString('hex')}`,
  );
}

/** isTempFileOf tells whether a directory entry name is an in-flight temp file of a `suffix` target. */
export function isTempFileOf(name: string, suffix: string): boolean {
  const at = name.lastIndexOf(TEMP_MARKER);
  return name.startsWith('.') && at > 0 && name.slice(0, at).endsWith(suffix);
}

/**
 * writeFileAtomic replaces `target` with `data` so a crash leaves either the old or the new file:
 * temp file in the same directory, fsync, rename over the target, fsync the directory.
 * On failure the temp file is removed and the previous target is untouched.
 */
export async function writeFileAtomic(
  target: string,
  data: string,
  opts: { mode?: number } = {},
): Promise<void> {
  const mode = opts.mode ?? 0o600;
  const temp = tempPathFor(target);
  try {
    const fh = await open(temp, 'wx', mode);
    try {
      await fh.chmod(mode); // the umask may have narrowed or (if odd) the caller asked wider
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(path.dirname(target));
}

/** syncDirectory fsyncs a directory so a rename or unlink inside it survives a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  await fsyncPath(dir);
}

/** fsyncPath flushes one file or directory to stable storage. */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
