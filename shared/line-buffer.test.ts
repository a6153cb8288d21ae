import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HeldBatch, LineBuffer } from './line-buffer.js';

describe('LineBuffer', () => {
  it('writes the lines of one turn as one write, in order, on the next turn', async () => {
    const writes: string[] = [];
    const b = new LineBuffer((t) => writes.push(t));
    b.push('a\n');
    b.push('b\n');
    b.push('c\n');
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(['a\nb\nc\n']);
    b.push('d\n');
    await turn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes an urgent line at once, after everything queued before it', () => {
    const writes: string[] = [];
    const b = new LineBuffer((t) => writes.push(t));
    b.push('info\n');
    b.push('error\n', true);
    expect(writes).toEqual(['info\nerror\n']);
  });

  it('never holds more than maxBytes', () => {
    const writes: string[] = [];
    const b = new LineBuffer((t) => writes.push(t), 10);
    b.push('12345\n');
    expect(writes).toEqual([]);
    b.push('67890\n');
    expect(writes).toEqual(['12345\n67890\n']);
  });

  it('with holdMs, gathers the lines of several turns into one write within that bound', async () => {
    const writes: string[] = [];
    const b = new LineBuffer((t) => writes.push(t), 64 * 1024, 20);
    b.push('a\n');
    await turn();
    b.push('b\n');
    await turn();
    expect(writes).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(writes).toEqual(['a\nb\n']);
    b.push('w\n', true);
    expect(writes).toEqual(['a\nb\n', 'w\n']);
  });

  // the compiled logger in a process that exits straight after logging: the exit hook writes the line
  const compiled = join(import.meta.dirname, '..', 'dist', 'shared', 'log.js');
  it.skipIf(!existsSync(compiled))('loses no line when the process exits in the same turn', async () => {
    const script = `import { createLogger } from ${JSON.stringify(compiled)};
      const log = createLogger({ component: 'coordinator', env: {} });
      log.info('one', { n: 1 }); log.info('two', { n: 2 }); process.exit(0);`;
    const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    const msgs = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).msg);
    expect(msgs).toEqual(['one', 'two']);
  });
});

describe('HeldBatch', () => {
  it('hands items over as they were pushed, at maxBytes as sizeOf counts them, and at once when urgent', async () => {
    const batches: Buffer[][] = [];
    const b = new HeldBatch<Buffer>(
      (items) => batches.push(items),
      (f) => f.length,
      8,
      0,
    );
    b.push(Buffer.alloc(3));
    b.push(Buffer.alloc(5)); // 8 bytes: handed over now
    expect(batches.map((x) => x.map((f) => f.length))).toEqual([[3, 5]]);
    b.push(Buffer.alloc(1));
    b.push(Buffer.alloc(1), true);
    expect(batches.map((x) => x.length)).toEqual([2, 2]);
    b.push(Buffer.alloc(2));
    await turn();
    expect(batches.map((x) => x.length)).toEqual([2, 2, 1]);
  });
});
