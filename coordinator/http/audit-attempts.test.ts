import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { appHarness } from './testing/harness.js';
import { UnauthTally } from './unauth-tally.js';

const vm = (name: string, vcpu = 1) => ({
  name,
  vcpu_count: vcpu,
  memory_mb: 512,
  disk_size_gb: 2,
  image: 'debian',
});

describe('every write attempt is audited, rejected ones included, with a server-side source', () => {
  it('401, 403 quota, 404 cross-tenant DELETE, 422 and 409 no_capacity each leave an entry; X-Request-Id never does', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const a = await h.tenant('acme', { vcpus: 2, memory_mb: 4096, vms: 5 });
    const b = await h.tenant('bravo');
    const own = await h.call('POST', '/v1/vms?wait=true', { token: b.token, body: vm('b-1') });
    expect(own.status).toBe(201);
    const evil = { 'x-request-id': 'forged"source' };
    const tries = [
      await h.call('POST', '/v1/vms', { token: 'vmp_nobody', body: vm('x'), headers: evil }),
      await h.call('POST', '/v1/vms', { token: a.token, body: vm('big', 4), headers: evil }),
      await h.call('DELETE', `/v1/vms/${own.body.id}`, { token: a.token, headers: evil }),
      await h.call('POST', '/v1/vms', { token: a.token, body: { name: 'x' }, headers: evil }),
      await h.call('POST', '/v1/vms', {
        token: b.token,
        body: { ...vm('huge', 1), memory_mb: 250_000 },
        headers: evil,
      }),
    ];
    expect(tries.map((r) => r.status)).toEqual([401, 403, 404, 422, 409]);
    const entries = (await h.audit.list({ limit: 100 })).filter((e) => e.result.startsWith('rejected:'));
    expect(entries.map((e) => [e.op, e.result, e.tenant]).reverse()).toEqual([
      ['vm.create', 'rejected:unauthorized', null],
      ['vm.create', 'rejected:quota_exceeded', a.id],
      ['vm.destroy', 'rejected:not_found', a.id],
      ['vm.create', 'rejected:validation_failed', a.id],
      ['vm.create', 'rejected:no_capacity', b.id],
    ]);
    expect(entries.map((e) => e.source).reverse()).toEqual([
      'http in-process anonymous',
      `http in-process tenant:${a.id}`,
      `http in-process tenant:${a.id}`,
      `http in-process tenant:${a.id}`,
      `http in-process tenant:${b.id}`,
    ]);
    const all = await h.audit.list({ limit: 100 });
    expect(all.some((e) => e.source.includes('forged'))).toBe(false);
    expect((await h.call('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });
});

describe('an unauthenticated flood does not grow the audit log per request', () => {
  it('audits the first refused write of an interval, counts the rest into one summary entry', async () => {
    const h = await appHarness();
    const before = (await h.audit.list({ limit: 10_000 })).length;
    const tries = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        h.call(i % 2 ? 'DELETE' : 'POST', i % 2 ? '/v1/vms/x' : '/v1/vms', {
          token: i % 3 ? 'vmp_nobody' : null,
          body: vm('x'),
        }),
      ),
    );
    expect(new Set(tries.map((r) => r.status))).toEqual(new Set([401]));
    const during = await h.audit.list({ limit: 10_000 });
    expect(during.length - before).toBe(1);
    expect(during[0]).toMatchObject({ result: 'rejected:unauthorized', source: 'http in-process anonymous' });
    await h.unauthTally.flush();
    const after = await h.audit.list({ limit: 10_000 });
    expect(after.length - before).toBe(2);
    expect(after[0]).toMatchObject({
      op: 'unauthenticated.summary',
      result: 'rejected:unauthorized x499',
      source: 'http in-process=499 anonymous',
      tenant: null,
    });
    await h.unauthTally.flush(); // nothing counted since: no entry
    expect((await h.audit.list({ limit: 10_000 })).length - before).toBe(2);
    // a new interval audits its first attempt at once again
    await h.call('POST', '/v1/vms', { token: 'vmp_nobody', body: vm('x') });
    expect((await h.audit.list({ limit: 1 }))[0]).toMatchObject({
      op: 'vm.create',
      result: 'rejected:unauthorized',
    });
    expect((await h.call('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });

  it('flushes the summary by itself when the interval ends', async () => {
    const h = await appHarness();
    const timers: (() => void)[] = [];
    const tally = new UnauthTally(
      h.audit,
      createLogger({ component: 'coordinator', level: 'error', sink: () => undefined }),
      {
        setTimer: (fn) => {
          timers.push(fn);
          return {};
        },
      },
    );
    const entry = {
      tenant: null,
      vm: null,
      op: 'vm.create',
      source: 'http 10.0.0.9 anonymous',
      result: 'rejected:unauthorized',
    };
    for (let i = 0; i < 3; i++) await tally.note(entry, '10.0.0.9');
    await tally.note(entry, '10.0.0.7');
    expect(timers).toHaveLength(1);
    timers[0]!();
    await vi.waitFor(async () =>
      expect((await h.audit.list({ limit: 1 }))[0]).toMatchObject({
        result: 'rejected:unauthorized x3',
        source: 'http 10.0.0.9=2,10.0.0.7=1 anonymous',
      }),
    );
  });
});
