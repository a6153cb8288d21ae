import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockImagesDir, lockPathFor } from './lock.js';

const LOCK_JS = new URL('../dist/agent/lock.js', import.meta.url).href;

/** holder runs a separate process that takes the lock, says so, and keeps it until killed. */
function holder(dir: string, lockDir: string) {
  const code = `const { lockImagesDir } = await import(${JSON.stringify(LOCK_JS)});
    try { await lockImagesDir(${JSON.stringify(dir)}, ${JSON.stringify(lockDir)}); console.log('locked'); setInterval(() => {}, 1000); }
    catch (e) { console.log(e.code); process.exit(0); }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const said = new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())));
  return { child, said };
}

async function dirs() {
  return {
    dir: await mkdtemp(join(tmpdir(), 'vmpool-lock-')),
    lockDir: await mkdtemp(join(tmpdir(), 'vmpool-lockdir-')),
  };
}

// These run the compiled lock (dist/) in child processes: flock is per open file, so the contenders
// must be separate processes. `npm test` builds before it runs vitest.
describe('lockImagesDir', () => {
  it('refuses a second owner while the first lives, naming its pid, and frees the dir when it dies', async () => {
    const { dir, lockDir } = await dirs();
    const first = holder(dir, lockDir);
    expect(await first.said).toBe('locked');
    await expect(lockImagesDir(dir, lockDir)).rejects.toMatchObject({
      code: 'agent_running',
      details: { pid: first.child.pid },
    });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const release = await lockImagesDir(dir, lockDir); // the kernel dropped the dead owner's lock
    expect((await readFile(await lockPathFor(dir, lockDir), 'utf8')).trim()).toBe(String(process.pid));
    await release();
    const again = holder(dir, lockDir);
    expect(await again.said).toBe('locked');
    again.child.kill('SIGKILL');
  });

  it('lets exactly one of two racing processes take the lock', async () => {
    const { dir, lockDir } = await dirs();
    const racers = [holder(dir, lockDir), holder(dir, lockDir)];
    const said = await Promise.all(racers.map((r) => r.said));
    for (const r of racers) r.child.kill('SIGKILL');
    expect(said.sort()).toEqual(['agent_running', 'locked']);
  });
});
