import { beforeEach, describe, expect, it } from 'vitest';
import { type AppHarness, appHarness } from './testing/harness.js';

const vmBody = { name: 'web-1', vcpu_count: 4, memory_mb: 4096, disk_size_gb: 10, image: 'debian' };

describe('routes parse query strings and path params at the edge', () => {
  let h: AppHarness;
  beforeEach(async () => {
    h = await appHarness();
    h.addNode('n1');
  });

  it.each([
    ['/v1/audit?limit=-5', 'limit'],
    ['/v1/audit?limit=abc', 'limit'],
    ['/v1/audit?limit=0', 'limit'],
    ['/v1/audit?limit=2.5', 'limit'],
    ['/v1/audit?limit=10001', 'limit'],
    ['/v1/audit?limit=5&limit=6', 'limit'],
    ['/v1/audit?lmit=5', ''],
    ['/v1/nodes/a%20b', 'id'],
  ])('GET %s is 422 validation_failed at field %j', async (path, field) => {
    const r = await h.call('GET', path);
    expect(r.status).toBe(422);
    expect(r.type).toContain('application/problem+json');
    expect(r.body.code).toBe('validation_failed');
    expect(r.body.issues.map((i: { path: string }) => i.path)).toContain(field);
  });

  it('reads ?limit as a number and returns at most that many entries', async () => {
    for (const name of ['a', 'b', 'c']) await h.tenant(name);
    const r = await h.call('GET', '/v1/audit?limit=2');
    expect(r.status).toBe(200);
    expect(r.body.entries).toHaveLength(2);
  });

  it('refuses POST /v1/vms?wait=maybe before anything is claimed', async () => {
    const t = await h.tenant('t');
    const r = await h.call('POST', '/v1/vms?wait=maybe', { token: t.token, body: vmBody });
    expect(r.status).toBe(422);
    expect(r.body.issues[0].path).toBe('wait');
    expect(h.store.read().vms).toEqual({});
    expect(h.sent).toEqual([]);
  });

  it('refuses DELETE with ?keep_disk=yes and keeps the VM', async () => {
    const t = await h.tenant('t');
    const vm = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody });
    const r = await h.call('DELETE', `/v1/vms/${vm.body.id}?keep_disk=yes`, { token: t.token });
    expect(r.status).toBe(422);
    expect(r.body.issues[0].path).toBe('keep_disk');
    expect(Object.keys(h.store.read().vms)).toEqual([vm.body.id]);
    expect(h.sent.filter((m) => m.type === 'destroy')).toEqual([]);
  });

  it('answers an admin POST /v1/vms with bad_request before looking at the body', async () => {
    const r = await h.call('POST', '/v1/vms', { body: { colour: 'red' } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('bad_request');
  });

  it('reads a JSON body sent without a JSON content-type, as curl -d sends it', async () => {
    const t = await h.tenant('t');
    const r = await h.call('POST', '/v1/placements/dry-run', {
      token: t.token,
      body: vmBody,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, redacted: true, reason: expect.stringMatching(/^fits/) });
  });
});
