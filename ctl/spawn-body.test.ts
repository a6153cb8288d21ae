import { describe, expect, it } from 'vitest';
import { SEED_003_VM1 } from './testing/seed-003.js';
import {
  bodyFromFlags,
  bodyFromSpec,
  imageName,
  rejectFlagsWithSpec,
  withPlacementFlags,
} from './spawn-body.js';

describe('bodyFromSpec', () => {
  it('maps seed-003 VM1 to a create body and drops tuning and paths', () => {
    expect(bodyFromSpec(SEED_003_VM1, 'vm1.json')).toEqual({
      name: 'k3s-worker-slm-heavy',
      vcpu_count: 32,
      memory_mb: 120832,
      disk_size_gb: 40,
      image: 'base',
      user_configs: [{ username: 'admin', ssh_authorized_keys: ['ssh-rsa AAAAB3NzaC1yc2E... user@host'] }],
      network: { bridge: 'br0' },
    });
  });

  it('lowercases the name and keeps a null bridge as no NIC bridge', () => {
    const body = bodyFromSpec({ ...SEED_003_VM1, name: 'K3S-Data', bridge_network_interface: null }, 'f');
    expect(body.name).toBe('k3s-data');
    expect(body.network).toEqual({ bridge: null });
  });

  it('carries extra disk sizes, vmid and cpu policy', () => {
    const body = bodyFromSpec(
      {
        ...SEED_003_VM1,
        vmid: 4242,
        cpu_policy: 'shared',
        extra_disks: [{ path: '/d/hot.qcow2', size_gb: 100 }],
      },
      'f',
    );
    expect(body).toMatchObject({
      vmid: 4242,
      placement: { cpu_policy: 'shared' },
      extra_disks: [{ size_gb: 100 }],
    });
  });

  it.each([
    [{ ...SEED_003_VM1, name: 'x'.repeat(41) }, /must be 1-40 lowercase/],
    [{ ...SEED_003_VM1, name: 'web_1' }, /must be 1-40 lowercase/],
    [{ ...SEED_003_VM1, vcpu_count: '32' }, /vcpu_count/],
    [{ ...SEED_003_VM1, base_image_path: undefined }, /base_image_path/],
    [[], /\(root\)/],
  ])('rejects a bad spec as a usage error naming the problem (%#)', (spec, message) => {
    expect(() => bodyFromSpec(spec, 'vm.json')).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringMatching(message) }),
    );
  });
});

describe('imageName', () => {
  it.each([
    ['/var/lib/libvirt/images/base.qcow2', 'base'],
    ['/images/debian-12.QCOW2', 'debian-12'],
    ['/images/ubuntu-24.04.img', 'ubuntu-24.04.img'],
  ])('imageName(%s) is %s', (path, name) => {
    expect(imageName(path)).toBe(name);
  });
});

describe('bodyFromFlags + withPlacementFlags', () => {
  const base = { name: 'web-1', vcpus: '4', 'memory-mb': '4096', 'disk-gb': '20', image: 'debian-12' };

  it('maps the VM flags and defaults placement to dedicated, any node, no kvm requirement', () => {
    const body = withPlacementFlags(bodyFromFlags(base, []), base, []);
    expect(body).toEqual({
      name: 'web-1',
      vcpu_count: 4,
      memory_mb: 4096,
      disk_size_gb: 20,
      image: 'debian-12',
      user_configs: [],
      placement: { cpu_policy: 'dedicated', requires_kvm: false, allow_reserved: true },
    });
  });

  it('maps every optional flag to its body field', () => {
    const values = {
      ...base,
      user: 'ops',
      bridge: 'br0',
      'cpu-policy': 'shared',
      'requires-kvm': true,
      'no-reserved': true,
      'anti-affinity': 'k3s',
      band: 'ai-prod',
    };
    const body = withPlacementFlags(bodyFromFlags(values, ['ssh-ed25519 AAAA me']), values, ['gpu', 'prod']);
    expect(body).toMatchObject({
      user_configs: [{ username: 'ops', ssh_authorized_keys: ['ssh-ed25519 AAAA me'] }],
      network: { bridge: 'br0' },
      placement: {
        cpu_policy: 'shared',
        requires_kvm: true,
        allow_reserved: false,
        anti_affinity_group: 'k3s',
      },
      vmid_band: 'ai-prod',
      tags: ['gpu', 'prod'],
    });
    expect(body).not.toHaveProperty('vmid');
  });

  it('gives ssh keys to admin when --user is absent', () => {
    expect(bodyFromFlags(base, ['ssh-ed25519 AAAA me']).user_configs).toEqual([
      { username: 'admin', ssh_authorized_keys: ['ssh-ed25519 AAAA me'] },
    ]);
  });

  it('lets --band override a vmid from a spec file', () => {
    const body = withPlacementFlags(bodyFromSpec({ ...SEED_003_VM1, vmid: 7 }, 'f'), { band: 'lab' }, []);
    expect(body.vmid).toBeUndefined();
    expect(body.vmid_band).toBe('lab');
  });

  it.each([
    [{ ...base, name: undefined }, /--name is required/],
    [{ ...base, vcpus: 'many' }, /--vcpus: expected a whole number/],
    [{ ...base, band: 'a', vmid: '5' }, /--band or --vmid, not both/],
    [{ ...base, 'cpu-policy': 'turbo' }, /--cpu-policy/],
  ])('rejects bad flags as usage errors (%#)', (values, message) => {
    expect(() => withPlacementFlags(bodyFromFlags(values, []), values, [])).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringMatching(message) }),
    );
  });

  it('refuses VM flags next to --spec', () => {
    expect(() => rejectFlagsWithSpec({ spec: 'f', name: 'x' }, ['k'])).toThrow(/--name, --ssh-key/);
    expect(() => rejectFlagsWithSpec({ spec: 'f', band: 'x' }, [])).not.toThrow();
  });
});
