import { copyFile, mkdir, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpawnOrder } from '../../shared/protocol.js';
import { seedShapedSpec } from './testing.js';
import { useVmTestEnv } from './testing/env.js';

// A VM's files on the host (real qemu-img and genisoimage, libvirt's test driver for the domain):
// disks and the seed ISO are owner-only, the VM's folder cannot be listed by others, and a
// coordinator order's image resolves only to a regular file in <images>/base/.

const PREFIX = `vmpool-files-${process.pid}`;
const env = useVmTestEnv(PREFIX);
let n = 0;

const mode = async (p: string) => (await stat(p)).mode & 0o777;

function order(image: string): SpawnOrder {
  return {
    vm_id: `order-${++n}`,
    vmid: 100 + n,
    tenant: 't1',
    name: `${PREFIX}-o${n}`,
    image,
    vcpu_count: 1,
    memory_mb: 256,
    disk_size_gb: 2,
    extra_disks: [],
    vcpu_pins: [0],
    emulator_cpuset: [16],
    numa_node: 0,
    cpu_policy: 'dedicated',
    users: [],
    bridge: null,
  };
}

describe('VM file modes', () => {
  it('makes disks and the seed ISO 0600 and the VM folder 0711', async () => {
    const spec = seedShapedSpec(env, `${PREFIX}-m${++n}`, {
      extra_disks: [{ path: join(env.imagesDir, `${PREFIX}-m${n}`, 'data1.qcow2'), size_gb: 1 }],
    });
    await env.manager().spawn(spec);
    expect(await mode(spec.disk_path)).toBe(0o600);
    expect(await mode(spec.extra_disks![0]!.path)).toBe(0o600);
    expect(await mode(spec.cloud_init_iso_path)).toBe(0o600);
    expect(await mode(dirname(spec.disk_path))).toBe(0o711);
  });
});

describe('base images of coordinator orders', () => {
  it('resolves an image to a regular file in base/', () => {
    const spec = env.manager().resolve(order('blank'));
    expect(spec.base_image_path).toBe(env.baseImage);
  });

  it('refuses an image that does not exist in base/', () => {
    expect(() => env.manager().resolve(order('nope'))).toThrow(
      expect.objectContaining({ code: 'base_image_missing' }),
    );
  });

  it("refuses a base/ symlink to another VM's disk and one leading out of base/", async () => {
    const victim = join(env.imagesDir, 'vms', 'victim', 'root.qcow2');
    await mkdir(dirname(victim), { recursive: true });
    await copyFile(env.baseImage, victim);
    await symlink(victim, join(env.imagesDir, 'base', 'stolen.qcow2'));
    expect(() => env.manager().resolve(order('stolen'))).toThrow(
      expect.objectContaining({ code: 'base_image_outside_base_dir' }),
    );
    await copyFile(env.baseImage, join(env.imagesDir, 'loose.qcow2'));
    await symlink(join(env.imagesDir, 'loose.qcow2'), join(env.imagesDir, 'base', 'loose.qcow2'));
    expect(() => env.manager().resolve(order('loose'))).toThrow(
      expect.objectContaining({ code: 'base_image_outside_base_dir' }),
    );
  });

  it("refuses another VM's disk as the base image of a local spec too", async () => {
    const victim = join(env.imagesDir, 'vms', 'victim', 'root.qcow2');
    await mkdir(dirname(victim), { recursive: true });
    await copyFile(env.baseImage, victim);
    const spec = seedShapedSpec(env, `${PREFIX}-v${++n}`, { base_image_path: victim });
    await expect(env.manager().spawn(spec)).rejects.toMatchObject({ code: 'base_image_is_vm_disk' });
  });
});
