import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockImagesDir, lockPathFor } from './lock.js';

describe('lockImagesDir', () => {
  it('refuses a second owner while the first lives, and frees the dir on release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmpool-lock-'));
    const lockDir = await mkdtemp(join(tmpdir(), 'vmpool-lockdir-'));
    const lock = await lockPathFor(dir, lockDir);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    await writeFile(lock, `${child.pid}\n`);
    await expect(lockImagesDir(dir, lockDir)).rejects.toMatchObject({
      code: 'agent_running',
      details: { pid: child.pid },
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const release = await lockImagesDir(dir, lockDir); // the dead owner's lock is taken over
    expect((await readFile(lock, 'utf8')).trim()).toBe(String(process.pid));
    await release();
    await expect(readFile(lock, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
