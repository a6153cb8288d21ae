import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBus } from './bus.js';
import { persistSeq, readSeqStart, SEQ_BLOCK } from './seq-file.js';

const root = await mkdtemp(join(tmpdir(), 'vmpool-seq-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('seq file', () => {
  it('reserves a block at start and the next one when the bus reaches the mark, rewritten in place', async () => {
    const path = join(root, 'a.seq');
    const bus = new EventBus({ startSeq: 40 });
    const stop = persistSeq(bus, path, 40);
    expect(readSeqStart(path)).toBe(40 + SEQ_BLOCK);
    for (let i = 0; i < SEQ_BLOCK; i++) await bus.emit({ type: 'node.up', node_id: 'n1' });
    // seq 1040 reached the mark: the next block is reserved past it
    expect(readSeqStart(path)).toBe(40 + SEQ_BLOCK + SEQ_BLOCK);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(`${String(2040).padEnd(16)}\n`);
    stop();
    await bus.emit({ type: 'node.up', node_id: 'n1' });
    expect(readSeqStart(path)).toBe(2040);
  });

  it('a restart continues past the reserved mark, whatever the earlier file held', async () => {
    const path = join(root, 'b.seq');
    await writeFile(path, '123456789012\n'); // a mark as older versions wrote it
    const start = readSeqStart(path);
    expect(start).toBe(123456789012);
    const stop = persistSeq(new EventBus({ startSeq: start }), path, start);
    expect(readSeqStart(path)).toBe(start + SEQ_BLOCK);
    stop();
  });

  it('reads 0 from a missing or unreadable file', async () => {
    expect(readSeqStart(join(root, 'missing.seq'))).toBe(0);
    await writeFile(join(root, 'bad.seq'), 'not a number\n');
    expect(readSeqStart(join(root, 'bad.seq'))).toBe(0);
  });
});
