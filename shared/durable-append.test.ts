import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DSYNC_APPEND, writeDurably } from './durable-append.js';
import { openFlagsOf } from './testing/open-flags.js';

describe('writeDurably', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vmpool-durable-'));
    file = join(dir, 'log');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('appends every byte at the end and resolves with the count', async () => {
    const fd = openSync(file, 'a');
    try {
      expect(await writeDurably(fd, Buffer.from('one\n'))).toBe(4);
      expect(await writeDurably(fd, Buffer.from('twö\n'))).toBe(5);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('one\ntwö\n');
  });

  it('runs afterWrite once the bytes are written, and a throw there fails the append', async () => {
    const fd = openSync(file, 'a');
    const seen: string[] = [];
    try {
      await writeDurably(fd, Buffer.from('a'), () => seen.push(readFileSync(file, 'utf8')));
      const crash = writeDurably(fd, Buffer.from('b'), () => {
        throw new Error('crash point');
      });
      await expect(crash).rejects.toThrow('crash point');
    } finally {
      closeSync(fd);
    }
    expect(seen).toEqual(['a']);
  });

  it('appends on a DSYNC_APPEND descriptor, which the kernel holds as O_DSYNC and O_APPEND', async () => {
    const fd = openSync(file, DSYNC_APPEND, 0o600);
    try {
      const [flags] = openFlagsOf(file);
      expect(flags! & constants.O_DSYNC).toBe(constants.O_DSYNC);
      expect(flags! & constants.O_APPEND).toBe(constants.O_APPEND);
      expect(await writeDurably(fd, Buffer.from('one\n'), undefined, true)).toBe(4);
      expect(await writeDurably(fd, Buffer.from('two\n'), undefined, true)).toBe(4);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('rejects a failed write, and a failed fdatasync after a whole write', async () => {
    const closed = openSync(file, 'a');
    closeSync(closed);
    await expect(writeDurably(closed, Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
    // /dev/null takes the bytes but cannot be synced: the append is not durable, so it fails
    const devNull = openSync('/dev/null', 'a');
    try {
      await expect(writeDurably(devNull, Buffer.from('x'))).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      closeSync(devNull);
    }
  });
});
