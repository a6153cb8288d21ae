// The agent side (bridgeExists uses isBridgeName) is covered by agent/backends/libvirt/domain/bridge.test.ts.
import { describe, expect, it } from 'vitest';
import { CreateVmSchema } from '../api/vms.js';
import { BridgeNameSchema, isBridgeName } from './bridge-name.js';
import { SpawnOrderSchema } from './protocol.js';

const bad = ['..', '.', '../etc', 'a/b', '', 'sixteen-chars-xx', 'br 0', 'br0\n'];
const good = ['br0', 'virbr0', 'br.100', 'a_b-c', '...', 'x'.repeat(15)];

describe('one bridge-name rule for coordinator and agent', () => {
  it.each(bad)('refuses %j everywhere', (name) => {
    expect(isBridgeName(name)).toBe(false);
    expect(BridgeNameSchema.safeParse(name).success).toBe(false);
    const create = CreateVmSchema.safeParse({
      name: 'a',
      vcpu_count: 1,
      memory_mb: 512,
      disk_size_gb: 1,
      image: 'blank',
      network: { bridge: name },
    });
    expect(create.success).toBe(false);
    expect(SpawnOrderSchema.shape.bridge.safeParse(name).success).toBe(false);
  });

  it.each(good)('accepts %j everywhere', (name) => {
    expect(isBridgeName(name)).toBe(true);
    expect(SpawnOrderSchema.shape.bridge.safeParse(name).success).toBe(true);
  });
});
