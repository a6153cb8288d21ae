import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { writeSeedIso } from './iso.js';
import { buildSeedFiles } from './seed.js';

// needs genisoimage and isoinfo (genisoimage package, installed by scripts/host-deps.sh)
const run = promisify(execFile);
const KEY = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops: "quoted" 'x' # y`;

describe('writeSeedIso', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vmpool-h5-iso-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const files = buildSeedFiles({
    instanceId: 'vm-42',
    hostname: 'seed-test',
    users: [{ username: 'admin', ssh_authorized_keys: [KEY] }],
  });

  it('writes a cidata ISO whose files read back exactly', async () => {
    const iso = join(dir, 'seed.iso');
    await writeSeedIso(files, iso);
    const { stdout: info } = await run('isoinfo', ['-i', iso, '-d']);
    expect(info).toMatch(/^Volume id: cidata$/m);
    for (const name of ['user-data', 'meta-data', 'network-config'] as const) {
      const { stdout } = await run('isoinfo', ['-i', iso, '-J', '-x', `/${name}`]);
      expect(stdout).toBe(files[name]);
    }
    const { stdout: userData } = await run('isoinfo', ['-i', iso, '-R', '-x', '/user-data']);
    expect(parse(userData).users[0]).toMatchObject({ name: 'admin', ssh_authorized_keys: [KEY] });
    expect(await readdir(dir)).toEqual(['seed.iso']);
  });

  it('replaces an existing ISO in place', async () => {
    const iso = join(dir, 'again.iso');
    await writeSeedIso(files, iso);
    const other = buildSeedFiles({ instanceId: 'vm-43', hostname: 'other', users: [] });
    await writeSeedIso(other, iso);
    const { stdout } = await run('isoinfo', ['-i', iso, '-J', '-x', '/meta-data']);
    expect(parse(stdout)).toEqual({ 'instance-id': 'vm-43', 'local-hostname': 'other' });
  });

  it('fails with seed_iso_failed and the tool stderr, leaving nothing behind', async () => {
    const sub = await mkdtemp(join(dir, 'fail-'));
    const err = await writeSeedIso(files, join(sub, 'x.iso'), { genisoimage: 'false' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'seed_iso_failed', name: 'CloudInitError' });
    expect(await readdir(sub)).toEqual([]);
  });

  it('reports a missing tool and a missing folder as seed_iso_failed', async () => {
    await expect(
      writeSeedIso(files, join(dir, 'y.iso'), { genisoimage: '/nonexistent/genisoimage' }),
    ).rejects.toMatchObject({
      code: 'seed_iso_failed',
    });
    await expect(writeSeedIso(files, join(dir, 'no/such/dir/z.iso'))).rejects.toMatchObject({
      code: 'seed_iso_failed',
    });
    await expect(stat(join(dir, 'y.iso'))).rejects.toThrow();
  });

  it('puts the tool stderr in the message and details', async () => {
    const tool = join(dir, 'fake-genisoimage.sh');
    await writeFile(tool, '#!/bin/sh\necho "boom: disk on fire" >&2\nexit 3\n', { mode: 0o755 });
    const err = await writeSeedIso(files, join(dir, 'w.iso'), { genisoimage: tool }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'seed_iso_failed',
      message: `Cannot write seed ISO ${join(dir, 'w.iso')}: boom: disk on fire`,
      details: { stderr: 'boom: disk on fire' },
    });
  });
});
