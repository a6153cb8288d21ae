import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeExists } from './bridge.js';

describe('bridgeExists', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vmpool-h5-bridge-'));
    await mkdir(join(root, 'sys/class/net/br0/bridge'), { recursive: true });
    await mkdir(join(root, 'sys/class/net/eth0'), { recursive: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['br0', true],
    ['eth0', false],
    ['nope', false],
  ])('reports %s as a bridge: %s', async (name, expected) => {
    expect(await bridgeExists(name, root)).toBe(expected);
  });

  it.each(['..', '.', '../etc', 'a/b', '', 'sixteen-chars-xx', 'br 0'])(
    'rejects interface name %j',
    async (name) => {
      await expect(bridgeExists(name, root)).rejects.toMatchObject({ code: 'invalid_bridge_name' });
    },
  );
});
