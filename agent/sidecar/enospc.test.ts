import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, writeSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnSpecSchema } from '../../shared/spec.js';
import { SidecarError } from './errors.js';
import { newSidecar } from './schema.js';
import { SidecarStore } from './store.js';
import { STRICT_TESTS } from '../../shared/testing-env.js';

// A real full filesystem: a 64 KiB tmpfs. Mounting needs root (CAP_SYS_ADMIN); without it the
// test is skipped rather than faked, because a mocked ENOSPC would not prove the cleanup path.
const mountPoint = mkdtempSync(path.join(tmpdir(), 'vmpool-sidecar-enospc-'));
const mountError = tryMount(mountPoint);

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
}

function fillFilesystem(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const chunk of [Buffer.alloc(4096), Buffer.alloc(1)]) {
      for (;;) writeSync(fd, chunk);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

afterAll(() => {
  if (mountError === null) execFileSync('umount', [mountPoint]);
  rmdirSync(mountPoint);
});

// Without a tmpfs the cases below are reported as skipped (with the reason in the suite name), never
// as passed; in strict mode (CI) they run and beforeAll fails on the missing mount.
const skipReason = mountError === null || STRICT_TESTS ? '' : ' (skipped: cannot mount a tmpfs, needs root)';

describe.skipIf(skipReason !== '')(`SidecarStore.write on a full filesystem${skipReason}`, () => {
  const store = new SidecarStore({ imagesDir: mountPoint });
  const spec = SpawnSpecSchema.parse({
    name: 'full-1',
    vcpu_count: 1,
    memory_mb: 512,
    disk_path: path.join(mountPoint, 'full-1.qcow2'),
    disk_size_gb: 1,
    base_image_path: path.join(mountPoint, 'base.qcow2'),
    cloud_init_iso_path: path.join(mountPoint, 'full-1.iso'),
    tuning: { vcpu_pins: ['1'], emulator_cpuset: '16', numa_memory: { nodeset: '0', mode: 'strict' } },
    user_configs: [],
  });
  let previous: Awaited<ReturnType<SidecarStore['write']>>;

  beforeAll(async () => {
    // strict (CI): no tmpfs means fail here, never fill the host's own disk instead
    if (mountError !== null) throw new Error(`Cannot mount a tmpfs for the ENOSPC test: ${mountError}`);
    previous = await store.write(newSidecar(spec, { vm_id: 'full-1', phase: 'overlay', now: Date.now() }));
    fillFilesystem(path.join(mountPoint, 'filler'));
  });

  it('fails with sidecar_write_failed carrying the ENOSPC cause', async () => {
    const err = await store.write({ ...previous, phase: 'done' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SidecarError);
    expect(err).toMatchObject({
      code: 'sidecar_write_failed',
      retryable: true,
      details: { errno: 'ENOSPC' },
    });
    expect((err as SidecarError).cause).toMatchObject({ code: 'ENOSPC' });
  });

  it('leaves the previous sidecar intact and no temp file behind', async () => {
    expect(await store.readForDisk(spec.disk_path)).toEqual(previous);
    expect((await readdir(mountPoint)).sort()).toEqual(['filler', 'full-1.qcow2.vmpool.json']);
  });
});
