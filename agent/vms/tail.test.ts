import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTail } from './tail.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpool-tail-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readTail', () => {
  it('gives the last maxBytes of the file, or all of a shorter one', async () => {
    const f = join(dir, 'console.log');
    await writeFile(f, 'line1\nline2\nline3\n');
    expect(await readTail(f, 6)).toBe('line3\n');
    expect(await readTail(f, 1000)).toBe('line1\nline2\nline3\n');
  });

  it("reads a missing log as '' (the guest has not written yet)", async () => {
    expect(await readTail(join(dir, 'absent.log'), 10)).toBe('');
  });
});
