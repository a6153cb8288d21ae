import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeKeptDisks } from './kept-disks.js';

describe('removeKeptDisks', () => {
  it('removes the VM folder, is idempotent, refuses a held VM and bad ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmpool-kept-'));
    try {
      await mkdir(join(dir, 'vms', 'v1'), { recursive: true });
      await writeFile(join(dir, 'vms', 'v1', 'root.qcow2'), 'x');
      await expect(removeKeptDisks(dir, 'v1', true)).rejects.toMatchObject({ code: 'vm_in_use' });
      expect(existsSync(join(dir, 'vms', 'v1', 'root.qcow2'))).toBe(true);
      await removeKeptDisks(dir, 'v1', false);
      expect(existsSync(join(dir, 'vms', 'v1'))).toBe(false);
      await removeKeptDisks(dir, 'v1', false);
      for (const bad of ['..', '../x', '', 'a/b'])
        await expect(removeKeptDisks(dir, bad, false)).rejects.toMatchObject({ code: 'bad_request' });
      expect(existsSync(join(dir, 'vms'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
