import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CTL_URL, useCtlHarness } from './testing/against-app.js';
import { SEED_003_VM1 } from './testing/seed-003.js';

describe('vmpoolctl admin commands against the real coordinator app', () => {
  const x = useCtlHarness();
  beforeEach(async () => {
    const spec = join(x.dir, 'vm1.json');
    writeFileSync(spec, JSON.stringify(SEED_003_VM1));
    expect((await x.ctl(['spawn', '--spec', spec])).code).toBe(0);
  });

  it('prints the seed-001 node table', async () => {
    const r = await x.admin(['nodes']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NODE\s+STATE\s+RES\s+KVM\s+VMS\s+vCPU USED\/TOTAL\s+RAM GiB USED\/TOTAL\s+FREE PER NUMA \(threads, GiB\)\s+OVER$/,
    );
    expect(lines[1]).toMatch(
      /^node-a\s+\S+\s+no\s+yes\s+1\s+32\/64\s+[\d.]+\/[\d.]+\s+n0: 0t [\d.]+, n1: 32t [\d.]+\s+no$/,
    );
  });

  it('prints one node with the holder of each thread group', async () => {
    const r = await x.admin(['node', 'node-a']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^node:\s+node-a$/m);
    expect(r.stdout).toMatch(/^\s*0\s+[\d.]+\s+k3s-worker-slm-heavy\s+0-15,36-51\s+32$/m);
    expect(r.stdout).toMatch(/^\s*0\s+[\d.]+\s+\(host\)\s+16-17,52-53\s+4$/m);
    expect(r.stdout).toMatch(/^\s*1\s+[\d.]+\s+\(free\)\s+\S+\s+32$/m);
  });

  it('answers an unknown node with not_found (exit 1)', async () => {
    const r = await x.admin(['node', 'node-z']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('vmpoolctl: not_found: Cannot find node: no such node\n');
  });

  it('prints the band summary with the VMID the spawn took', async () => {
    const r = await x.admin(['bands']);
    expect(r.stdout.split('\n')[1]).toMatch(/^\s*100-199\s+ai-prod\s+100\s+1\s+99\s+1$/);
  });

  it('creates a tenant, prints the token once, and the token works', async () => {
    const r = await x.admin([
      'tenants',
      'create',
      '--name',
      'team-b',
      '--vcpus',
      '64',
      '--memory-mb',
      '262144',
      '--vms',
      '10',
    ]);
    expect(r.code).toBe(0);
    expect(x.seen.at(-1)!.body).toEqual({ name: 'team-b', quota: { vcpus: 64, memory_mb: 262144, vms: 10 } });
    expect(r.stderr).toContain('shown only once');
    const token = /^token:\s+(\S+)$/m.exec(r.stdout)?.[1];
    expect(token).toMatch(/^vmp_/);
    const list = await x.ctl(['list'], { VMPOOL_URL: CTL_URL, VMPOOL_TOKEN: token });
    expect(list).toMatchObject({ code: 0 });
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(1); // headers only: team-b has no VMs
    const tenants = await x.admin(['tenants', 'list']);
    expect(tenants.stdout).toMatch(/^\S+\s+team-b\s+64\s+262144\s+10\s+\S+$/m);
    expect(tenants.stdout).not.toContain(token!);
  });

  it('passes --limit to the audit list', async () => {
    const r = await x.admin(['audit', '--limit', '1']);
    expect(r.code).toBe(0);
    expect(x.seen.at(-1)!.url).toBe(`${CTL_URL}/v1/audit?limit=1`);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('verifies the audit chain, and exits 1 with the line when it is broken', async () => {
    const ok = await x.admin(['audit', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^audit log ok: \d+ entries, head [0-9a-f]{64}$/m);
    const lines = readFileSync(x.h.auditPath, 'utf8').split('\n');
    lines[0] = lines[0]!.replace('"tenant.create"', '"tenant.delete"');
    writeFileSync(x.h.auditPath, lines.join('\n'));
    const broken = await x.admin(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^audit log BROKEN at line 1: \w+$/m);
  });

  it('hides admin routes from a tenant token', async () => {
    const r = await x.ctl(['nodes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('vmpoolctl: not_found: No such route\n');
  });
});
