import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LowdbStore } from './lowdb-store.js';
import type { CompactionStep } from './snapshot-writer.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = await mkdtemp(join(tmpdir(), 'vmpool-store-crash-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/**
 * runUntil starts the child and SIGKILLs it once it has acknowledged `count` updates, or (with a
 * step) once it reports standing at that compaction step after at least `count` acks.
 */
function runUntil(path: string, count: number, step?: CompactionStep): Promise<number[]> {
  const args = ['--import', join(here, 'testing/ts-loader.mjs'), join(here, 'testing/crash-child.ts'), path];
  const child = spawn(process.execPath, step ? [...args, step] : args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acks: number[] = [];
  let atStep = false;
  let buffered = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('ack ')) acks.push(Number(line.slice(4)));
        if (line === `at ${step}`) atStep = true;
      }
      if (acks.length >= count && (!step || atStep)) child.kill('SIGKILL');
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

/** survivors reopens the store as a restarted coordinator would and lists the updates it holds. */
async function survivors(path: string): Promise<number[]> {
  const store = new LowdbStore(path);
  const state = await store.load();
  await store.close();
  return Object.keys(state.idempotency)
    .map((k) => Number(k.replace('crash:', '')))
    .sort((a, b) => a - b);
}

function expectPrefixHoldingAll(present: number[], acks: number[]): void {
  for (const i of acks) expect(present).toContain(i);
  // Updates are issued in order, so what survives is a prefix 1..k of them.
  expect(present).toEqual(Array.from({ length: present.length }, (_, i) => i + 1));
}

describe('LowdbStore crash safety (real SIGKILL of a child process)', () => {
  it.each([1, 2, 3])(
    'after SIGKILL mid-stream (run %i) a reopened store holds every acked update, compactions included',
    async (run) => {
      const path = join(root, `crash-${run}.json`);
      const acks = await runUntil(path, 150 + run * 37);
      expectPrefixHoldingAll(await survivors(path), acks);
    },
    30_000,
  );

  it.each<CompactionStep>(['rotated', 'written', 'synced', 'renamed', 'dir_synced', 'cleaned'])(
    'a SIGKILL while compaction stands at "%s" loses nothing, and a second life continues',
    async (step) => {
      const path = join(root, `step-${step}.json`);
      const first = await runUntil(path, 40, step);
      const afterFirst = await survivors(path);
      expectPrefixHoldingAll(afterFirst, first);
      const second = await runUntil(path, 20, step);
      const afterSecond = await survivors(path);
      expectPrefixHoldingAll(afterSecond, [...first, ...second]);
      expect(afterSecond.length).toBeGreaterThan(afterFirst.length);
      expect((await readdir(root)).filter((f) => f.startsWith(`.step-${step}`))).toEqual([]);
    },
    30_000,
  );
});
