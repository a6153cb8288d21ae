import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fsyncPath } from '../../shared/atomic-file.js';
import { errorMessage } from '../../shared/errors.js';
import { VM_FILE_MODE } from '../disk/modes.js';
import { CloudInitError } from './errors.js';
import type { SeedFiles } from './seed.js';

const execFileAsync = promisify(execFile);

/** SeedIsoOptions name the ISO tool (for tests and odd hosts) and bound how long it may run. */
export interface SeedIsoOptions {
  readonly genisoimage?: string;
  readonly timeoutMs?: number;
}

/** writeSeedIso writes a NoCloud "cidata" ISO atomically: files in a temp dir, genisoimage, fsync, rename. */
export async function writeSeedIso(
  files: SeedFiles,
  isoPath: string,
  opts: SeedIsoOptions = {},
): Promise<void> {
  const dir = dirname(isoPath);
  // temp dir and temp ISO sit beside the target so the rename stays on one filesystem
  const tmpIso = join(dir, `.${basename(isoPath)}.${randomBytes(6).toString('hex')}.tmp`);
  let staging: string | undefined;
  try {
    staging = await mkdtemp(join(dir, `.${basename(isoPath)}.seed-`));
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(staging, name), content, { mode: 0o600 });
    }
    await runGenisoimage(opts.genisoimage ?? 'genisoimage', [tmpIso, staging], opts.timeoutMs ?? 30_000);
    await chmod(tmpIso, VM_FILE_MODE);
    await fsyncPath(tmpIso);
    await rename(tmpIso, isoPath);
    await fsyncPath(dir);
  } catch (err) {
    await rm(tmpIso, { force: true });
    throw seedIsoError(isoPath, err);
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

async function runGenisoimage(
  tool: string,
  [output, source]: [string, string],
  timeout: number,
): Promise<void> {
  // Joliet + Rock Ridge keep the lower-case, dashed names cloud-init expects
  const args = [
    '-quiet',
    '-input-charset',
    'utf-8',
    '-output',
    output,
    '-volid',
    'cidata',
    '-joliet',
    '-rock',
    source,
  ];
  await execFileAsync(tool, args, { timeout, maxBuffer: 1 << 20 });
}

function seedIsoError(isoPath: string, err: unknown): CloudInitError {
  // execFile errors carry the tool's stderr, which says what actually went wrong
  const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
  return new CloudInitError(
    'seed_iso_failed',
    `Cannot write seed ISO ${isoPath}: ${stderr || errorMessage(err)}`,
    {
      cause: err,
      details: { iso_path: isoPath, stderr },
    },
  );
}
