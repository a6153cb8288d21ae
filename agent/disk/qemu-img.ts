import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { promisify } from 'node:util';
import { VmpoolError } from '../../shared/errors.js';
import { VM_FILE_MODE } from './modes.js';

const run = promisify(execFile);

/** DiskError reports a qemu-img failure with its stderr. */
export class DiskError extends VmpoolError {
  constructor(
    code: 'disk_create_failed' | 'disk_inspect_failed',
    message: string,
    opts: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(code, message, opts);
    this.name = 'DiskError';
  }
}

/** imageFormat reads a disk image's format (qcow2, raw, …) with `qemu-img info`. */
export async function imageFormat(path: string, qemuImg = 'qemu-img'): Promise<string> {
  try {
    const { stdout } = await run(qemuImg, ['info', '--output=json', '-U', path]);
    const info = JSON.parse(stdout) as { format?: string };
    if (!info.format) throw new Error('no format in qemu-img output');
    return info.format;
  } catch (err) {
    throw new DiskError('disk_inspect_failed', `Cannot read image ${path}: ${stderrOf(err)}`, { cause: err });
  }
}

/** imageVirtualSize reads a disk image's virtual size in bytes with `qemu-img info`. */
export async function imageVirtualSize(path: string, qemuImg = 'qemu-img'): Promise<number> {
  try {
    const { stdout } = await run(qemuImg, ['info', '--output=json', '-U', path]);
    const size = (JSON.parse(stdout) as { 'virtual-size'?: number })['virtual-size'];
    if (typeof size !== 'number') throw new Error('no virtual-size in qemu-img output');
    return size;
  } catch (err) {
    throw new DiskError('disk_inspect_failed', `Cannot read image ${path}: ${stderrOf(err)}`, { cause: err });
  }
}

/** createOverlay makes a qcow2 overlay on `base`, recording the backing format (libvirt refuses it otherwise). */
export async function createOverlay(opts: {
  base: string;
  path: string;
  sizeGb: number;
  qemuImg?: string;
}): Promise<void> {
  const qemuImg = opts.qemuImg ?? 'qemu-img';
  const backingFormat = await imageFormat(opts.base, qemuImg);
  await create(
    qemuImg,
    ['create', '-q', '-f', 'qcow2', '-b', opts.base, '-F', backingFormat, opts.path, `${opts.sizeGb}G`],
    opts.path,
  );
}

/** createBlank makes an empty qcow2 disk (extra data disks). */
export async function createBlank(opts: { path: string; sizeGb: number; qemuImg?: string }): Promise<void> {
  await create(
    opts.qemuImg ?? 'qemu-img',
    ['create', '-q', '-f', 'qcow2', opts.path, `${opts.sizeGb}G`],
    opts.path,
  );
}

/** growDisk raises a stopped disk's virtual size to sizeGb; a disk already that big is left alone (never shrunk). */
export async function growDisk(opts: { path: string; sizeGb: number; qemuImg?: string }): Promise<boolean> {
  const qemuImg = opts.qemuImg ?? 'qemu-img';
  if ((await imageVirtualSize(opts.path, qemuImg)) >= opts.sizeGb * 1024 ** 3) return false;
  try {
    await run(qemuImg, ['resize', '-q', opts.path, `${opts.sizeGb}G`]);
    return true;
  } catch (err) {
    throw new DiskError('disk_create_failed', `Cannot grow disk ${opts.path}: ${stderrOf(err)}`, {
      cause: err,
    });
  }
}

async function create(qemuImg: string, args: string[], path: string): Promise<void> {
  try {
    await run(qemuImg, args);
    // qemu-img creates 0644 under the usual umask: a VM's disk is its owner's alone
    await chmod(path, VM_FILE_MODE);
  } catch (err) {
    const text = stderrOf(err);
    throw new DiskError('disk_create_failed', `Cannot create disk ${path}: ${text}`, {
      cause: err,
      retryable: /No space/i.test(text),
    });
  }
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim().split('\n').slice(-2).join(' ');
}
