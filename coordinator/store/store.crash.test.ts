import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = await mkdtemp(join(tmpdir(), 'vmpool-store-crash-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** runUntilAcks starts the child and SIGKILLs it once it has acknowledged at least `count` updates. */
function runUntilAcks(path: string, count: number): Promise<number[]> {
  const child = spawn(
    process.execPath,
    ['--import', join(here, 'testing/ts-loader.mjs'), join(here, 'testing/crash-child.ts'), path],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const acks: number[] = [];
  let buffered = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) acks.push(Number(line.replace('ack ', '')));
      if (acks.length >= count) child.kill('SIGKILL');
    });
    child.on('error', reject);
    // Only acks read before the kill count: anything after was not acknowledged to us.
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL'
        ? resolve(acks.slice())
        : reject(new Error(`child exited without kill: ${signal}`)),
    );
  });
}

describe('LowdbStore crash safety', () => {
  it.each([1, 2, 3])(
    'after SIGKILL mid-stream (run %i) the file is valid JSON holding every acked update',
    async (run) => {
      const path = join(root, `crash-${run}.json`);
      const acks = await runUntilAcks(path, 150 + run * 37);
      const state = JSON.parse(await readFile(path, 'utf8'));
      const present = Object.keys(state.idempotency).map((k) => Number(k.replace('crash:', '')));
      for (const i of acks) expect(present).toContain(i);
      // Updates are issued in order, so what is on disk is a prefix 1..k of them.
      expect(present.sort((a, b) => a - b)).toEqual(Array.from({ length: present.length }, (_, i) => i + 1));
      expect(present.length).toBeGreaterThanOrEqual(Math.max(...acks));
    },
    30_000,
  );
});
