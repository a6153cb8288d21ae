import { describe, expect, it } from 'vitest';
import { CTL_URL, spawnVm1, useCtlHarness } from './testing/against-app.js';

const as = (token: string) => ({ VMPOOL_URL: CTL_URL, VMPOOL_TOKEN: token });

describe('vmpoolctl tenant lifecycle against the real coordinator app', () => {
  const x = useCtlHarness();

  it('shows a tenant by name or id with its quota and usage', async () => {
    await spawnVm1(x);
    const byName = await x.admin(['tenants', 'show', 'TEAM-A']);
    expect(byName.code).toBe(0);
    expect(byName.stdout).toMatch(new RegExp(`^tenant:\\s+${x.tenant.id}$`, 'm'));
    expect(byName.stdout).toMatch(/^quota:\s+128 vCPU, 524288 MiB, 10 VMs, 10240 GiB disk$/m);
    expect(byName.stdout).toMatch(/^usage:\s+32 vCPU, \d+ MiB, 1 VMs, \d+ GiB disk$/m);
    const byId = await x.admin(['--json', 'tenants', 'show', x.tenant.id]);
    expect(JSON.parse(byId.stdout)).toMatchObject({ id: x.tenant.id, usage: { vms: 1, vcpus: 32 } });
    expect(byId.stdout).not.toContain('token');
    const none = await x.admin(['tenants', 'show', 'nobody']);
    expect([none.code, none.stderr]).toEqual([
      1,
      'vmpoolctl: not_found: Cannot find tenant "nobody": no tenant has that name\n',
    ]);
    expect((await x.ctl(['tenants', 'show', x.tenant.id])).code).toBe(1); // a tenant token: admin route hidden
  });

  it('updates the name and only the quota fields given', async () => {
    const r = await x.admin(['tenants', 'update', 'team-a', '--name', 'team-z', '--vms', '3']);
    expect(r.code).toBe(0);
    expect(x.seen.at(-1)).toMatchObject({
      method: 'PATCH',
      body: { name: 'team-z', quota: { vcpus: 128, memory_mb: 524_288, vms: 3, disk_gb: 10_240 } },
    });
    expect(x.h.store.read().tenants[x.tenant.id]).toMatchObject({ name: 'team-z', quota: { vms: 3 } });
    const nothing = await x.admin(['tenants', 'update', x.tenant.id]);
    expect([nothing.code, nothing.stderr]).toEqual([
      2,
      'vmpoolctl: usage: Cannot update tenant: give --name or a quota flag\n',
    ]);
    const bad = await x.admin(['tenants', 'update', x.tenant.id, '--vms', '-1']);
    expect(bad.code).toBe(2);
    expect(x.h.store.read().tenants[x.tenant.id]!.quota.vms).toBe(3);
  });

  it('refuses to delete a tenant that owns VMs, then deletes it once they are gone', async () => {
    const vm = await spawnVm1(x);
    const refused = await x.admin(['tenants', 'delete', 'team-a']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^vmpoolctl: conflict: Cannot delete tenant ".+": it owns 1 VMs/);
    expect(x.h.store.read().tenants[x.tenant.id]).toBeDefined();
    expect((await x.ctl(['destroy', vm])).code).toBe(0);
    const ok = await x.admin(['tenants', 'delete', 'team-a']);
    expect([ok.code, ok.stdout]).toEqual([0, `deleted tenant ${x.tenant.id}\n`]);
    expect(x.h.store.read().tenants[x.tenant.id]).toBeUndefined();
    expect((await x.ctl(['list'])).stderr).toMatch(/^vmpoolctl: unauthorized:/);
  });

  it('rotates a token (printed once, old one ends after the grace) and revokes it', async () => {
    const r = await x.admin(['tenants', 'rotate-token', 'team-a', '--grace-s', '0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('shown only once');
    const token = /^token:\s+(vmp_\S+)$/m.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    expect(x.seen.at(-1)!.body).toEqual({ grace_seconds: 0 });
    expect((await x.ctl(['list'])).code).toBe(1); // the old token: no grace
    expect((await x.ctl(['list'], as(token!))).code).toBe(0);
    expect(JSON.stringify(x.h.store.read())).not.toContain(token!);

    const graced = await x.admin(['--json', 'tenants', 'rotate-token', x.tenant.id]);
    const next = JSON.parse(graced.stdout) as { token: string; old_token_valid_until: string };
    expect(Date.parse(next.old_token_valid_until) - Date.now()).toBeGreaterThan(3500_000);
    expect((await x.ctl(['list'], as(token!))).code).toBe(0); // in its default 1 h grace
    expect((await x.ctl(['list'], as(next.token))).code).toBe(0);

    const revoked = await x.admin(['tenants', 'revoke-token', 'team-a']);
    expect(revoked.code).toBe(0);
    for (const t of [token!, next.token])
      expect((await x.ctl(['list'], as(t))).stderr).toMatch(/unauthorized/);
  });
});

describe('vmpoolctl nodes remove and join-token rotate against the real coordinator app', () => {
  const x = useCtlHarness({ nodes: ['node-a', 'node-b'] });

  it('refuses to remove a node holding VMs without --purge; --purge forgets them', async () => {
    const vm = await spawnVm1(x);
    const node = x.h.store.read().vms[vm]!.node_id!;
    const refused = await x.admin(['nodes', 'remove', node]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/conflict: Cannot remove node ".+": it holds 1 VM records/);
    expect(x.h.store.read().vms[vm]).toBeDefined();
    const other = node === 'node-a' ? 'node-b' : 'node-a';
    expect((await x.admin(['nodes', 'remove', other])).code).toBe(0);
    expect(x.h.registry.get(other)).toBeUndefined();
    const purged = await x.admin(['nodes', 'remove', node, '--purge']);
    expect(purged).toMatchObject({
      code: 0,
      stdout: `removed node ${node} and forgot its VM records; it must enrol again to rejoin\n`,
    });
    expect(x.seen.at(-1)!.url).toBe(`${CTL_URL}/v1/nodes/${node}?purge=true`);
    expect(x.h.store.read().vms[vm]).toBeUndefined();
    expect((await x.admin(['nodes', 'remove', node])).stderr).toMatch(/not_found/);
  });

  it('rotates the join token: printed once, stored hashed, the old one refused (or after a grace)', async () => {
    const old = 'j'.repeat(20);
    expect(x.h.identity.authenticate(`Bearer ${old}`)).toEqual({ kind: 'join' });
    const graced = await x.admin(['--json', 'join-token', 'rotate', '--grace-s', '600']);
    expect(graced.code).toBe(0);
    const first = JSON.parse(graced.stdout) as { join_token: string; old_token_valid_until: string };
    expect(x.h.identity.authenticate(`Bearer ${old}`)).toEqual({ kind: 'join' }); // in its grace
    expect(x.h.identity.authenticate(`Bearer ${first.join_token}`)).toEqual({ kind: 'join' });
    const r = await x.admin(['join-token', 'rotate']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('shown only once');
    const second = /^join token:\s+(\S+)$/m.exec(r.stdout)?.[1];
    expect(x.h.identity.authenticate(`Bearer ${first.join_token}`)).toBeNull();
    expect(x.h.identity.authenticate(`Bearer ${old}`)).toBeNull();
    expect(x.h.identity.authenticate(`Bearer ${second}`)).toEqual({ kind: 'join' });
    const state = JSON.stringify(x.h.store.read());
    for (const t of [first.join_token, second!]) expect(state).not.toContain(t);
    expect((await x.ctl(['join-token', 'rotate'])).code).toBe(1); // tenants never see the route
  });
});
