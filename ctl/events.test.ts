import { describe, expect, it } from 'vitest';
import { ctlAgainstApp } from './testing/against-app.js';

/** spawnArgv is a small spawn (1 vCPU, 512 MiB, 5 GiB, debian) named `name`. */
const spawnArgv = (name: string) => [
  'spawn',
  '--name',
  name,
  '--vcpus',
  '1',
  '--memory-mb',
  '512',
  '--disk-gb',
  '5',
  '--image',
  'debian',
];

describe('vmpoolctl events', () => {
  it('prints the tenant its own VM events one per line, and JSON with --json', async () => {
    const x = await ctlAgainstApp();
    const spawn = spawnArgv('e-1');
    expect((await x.ctl(spawn)).code).toBe(0);
    const r = await x.ctl(['events']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(' ')[2])).toEqual([
      'vm.claimed',
      'vm.placed',
      'vm.spawning',
      'vm.running',
    ]);
    expect(lines[0]).toContain('name=e-1');
    const json = await x.ctl(['--json', 'events', '--kind', 'vm.running']);
    expect(JSON.parse(json.stdout).events.map((e: { type: string }) => e.type)).toEqual(['vm.running']);
    const admin = await x.admin(['events', '--kind', 'node.']);
    expect(admin.stdout).toMatch(/node\.joined node_id=node-a/);
  });

  it('spawn on a terminal shows each step as it happens, then the VM', async () => {
    const x = await ctlAgainstApp();
    const env = { VMPOOL_URL: 'http://coordinator.test:7700', VMPOOL_TOKEN: x.tenant.token };
    const argv = spawnArgv('t-1');
    const r = await x.ctl(argv, env, { tty: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('  ✓'))).toEqual([
      '  ✓ claimed (name, VMID and quota held)',
      '  ✓ placed on node-a, NUMA node 0 (pass 1)',
      '  ✓ sent to node-a',
      '  ✓ running',
    ]);
    expect(r.stdout).toMatch(/^state:\s+running$/m);
    // --json stays quiet
    const q = await x.ctl(['--json', ...argv.map((a) => (a === 't-1' ? 't-2' : a))], env, { tty: true });
    expect(q.stderr).toBe('');
  });

  it('refuses an unexpected argument', async () => {
    const x = await ctlAgainstApp();
    const r = await x.ctl(['events', 'now']);
    expect(r.code).toBe(2);
  });
});

describe('vmpoolctl webhooks', () => {
  it('creates (secret once), lists without the secret, and deletes', async () => {
    const x = await ctlAgainstApp();
    const made = await x.admin([
      '--json',
      'webhooks',
      'create',
      '--endpoint',
      'http://127.0.0.1:9/h',
      '--events',
      'vm.failed',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const w = JSON.parse(made.stdout);
    expect(w.secret).toMatch(/^whsec_/);
    const list = await x.admin(['webhooks', 'list']);
    expect(list.stdout).toContain(w.id);
    expect(list.stdout).not.toContain(w.secret);
    expect((await x.admin(['webhooks', 'delete', w.id])).stdout).toBe(`deleted ${w.id}\n`);
    expect((await x.ctl(['webhooks', 'list'])).code).toBe(1); // a tenant gets not_found
    await x.h.webhooks.stop();
  });
});
