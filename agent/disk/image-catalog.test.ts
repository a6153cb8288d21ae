import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { ImageCatalog } from './image-catalog.js';

// Real qemu-img and sha256sum over real files; a counting wrapper shows each file version is hashed once.

const run = promisify(execFile);
const log = createLogger({ component: 'agent', level: 'error', sink: () => undefined });
let dir: string;
let counter: string;
let wrapper: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpool-imgcat-'));
  await mkdir(join(dir, 'base'));
  counter = join(dir, 'hashes');
  wrapper = join(dir, 'sha256sum-counting');
  await writeFile(wrapper, `#!/bin/sh\necho x >> '${counter}'\nexec sha256sum "$@"\n`);
  await chmod(wrapper, 0o755);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = async (p: string) =>
  createHash('sha256')
    .update(await readFile(p))
    .digest('hex');
const hashes = async () =>
  (await readFile(counter, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

describe('ImageCatalog', () => {
  it('reports virtual size, format and sha256, hashing each file version once', async () => {
    const path = join(dir, 'base', 'deb.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', path, '3G']);
    const cat = new ImageCatalog({ imagesDir: dir, log, sha256sum: wrapper });
    expect(cat.current()).toEqual({}); // nothing known yet; the first refresh started in the background
    await cat.refresh();
    expect(cat.current()).toEqual({
      deb: { virtual_size: 3 * 1024 ** 3, format: 'qcow2', sha256: await sha(path) },
    });
    await cat.refresh();
    await cat.refresh();
    expect(await hashes()).toBe(1);
    // a new version of the file (other size) is hashed again; a removed file disappears
    await run('qemu-img', ['resize', '-q', path, '4G']);
    await cat.refresh();
    expect(cat.current().deb).toMatchObject({ virtual_size: 4 * 1024 ** 3, sha256: await sha(path) });
    expect(await hashes()).toBe(2);
    await rm(path);
    await cat.refresh();
    expect(cat.current()).toEqual({});
  });

  it('reports what qemu-img sees for every file: an empty one is a 0-byte raw image', async () => {
    await writeFile(join(dir, 'base', 'empty.qcow2'), '');
    await run('qemu-img', ['create', '-q', '-f', 'raw', join(dir, 'base', 'plain.qcow2'), '1M']);
    const cat = new ImageCatalog({ imagesDir: dir, log });
    await cat.refresh();
    expect(Object.keys(cat.current()).sort()).toEqual(['empty', 'plain']);
    expect(cat.current().plain).toMatchObject({ format: 'raw', virtual_size: 1024 ** 2 });
    expect(cat.current().empty?.sha256).toBe(createHash('sha256').digest('hex'));
  });
});
