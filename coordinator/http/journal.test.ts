import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type LogEntry } from '../../shared/log.js';
import { type AppHarness, appHarness } from './testing/harness.js';

// The coordinator's half of the journal story, with the real app, claim book, bus and log
// subscriber; a fake node answers (the nspawn e2e test covers the agent's half under systemd).

const vmBody = { name: 'web-1', vcpu_count: 2, memory_mb: 1024, disk_size_gb: 10, image: 'debian' };

describe('coordinator journal: one story per request, one entry per rejection', () => {
  let h: AppHarness;
  let entries: LogEntry[];
  beforeEach(async () => {
    entries = [];
    const log = createLogger({ component: 'coordinator', level: 'debug', sink: (e) => entries.push(e) });
    h = await appHarness({ log });
    h.addNode('n1');
  });

  it("carries the client's x-request-id to every step, the answer and the spawn order", async () => {
    const t = await h.tenant('acme');
    const r = await h.call('POST', '/v1/vms?wait=true', {
      token: t.token,
      body: vmBody,
      headers: { 'x-request-id': 'req-42' },
    });
    expect(r.status).toBe(201);
    const story = entries.filter((e) => e.fields.vm_name === `${t.id}-web-1`);
    expect(story.map((e) => e.msg)).toEqual([
      'vm create received',
      'vm claimed: quota checked, VMID held',
      'vm placed',
      'vm spawn sent to node',
      'vm running',
    ]);
    for (const e of story) expect(e.fields).toMatchObject({ request_id: 'req-42', tenant_id: t.id });
    expect(story.find((e) => e.msg === 'vm placed')?.fields).toMatchObject({ node_id: 'n1', numa_node: 0 });
    const spawn = h.sent.find((m) => m.type === 'spawn');
    expect(spawn).toMatchObject({ trace_id: 'req-42', vm: { name: `${t.id}-web-1` } });
    expect((spawn as { request_id: string }).request_id).not.toBe('req-42');
  });

  it('makes a request id when the client gives none or an unsafe one, and returns it in the problem body', async () => {
    const r = await h.call('GET', '/v1/vms', { token: 'nope', headers: { 'x-request-id': 'a b;c' } });
    expect(r.status).toBe(401);
    expect(r.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    const [entry] = entries.filter((e) => e.msg === 'request rejected');
    expect(entry).toMatchObject({
      level: 'warn',
      fields: { error_code: 'unauthorized', status: 401, request_id: r.body.request_id },
    });
  });

  it.each([
    ['an invalid body (422)', 'POST', '/v1/vms', { name: '' }, 422, 'validation_failed'],
    ['no capacity (409)', 'POST', '/v1/vms', { ...vmBody, image: 'nope' }, 409, 'no_capacity'],
  ])('logs %s once, with ERROR_CODE', async (_label, method, path, body, status, code) => {
    const t = await h.tenant('acme');
    const r = await h.call(method, path, { token: t.token, body });
    expect([r.status, r.body.code]).toEqual([status, code]);
    const rejected = entries.filter((e) => e.msg === 'request rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.fields).toMatchObject({
      error_code: code,
      tenant_id: t.id,
      request_id: r.body.request_id,
    });
  });

  it("logs a 404 on another tenant's VM with the caller and the VM id asked for", async () => {
    const owner = await h.tenant('owner');
    const other = await h.tenant('other');
    const vm = (await h.call('POST', '/v1/vms?wait=true', { token: owner.token, body: vmBody })).body;
    const r = await h.call('DELETE', `/v1/vms/${vm.id}`, { token: other.token });
    expect(r.status).toBe(404);
    const rejected = entries.filter((e) => e.msg === 'request rejected');
    expect(rejected.map((e) => e.fields)).toEqual([
      expect.objectContaining({ error_code: 'not_found', tenant_id: other.id, vm_id: vm.id, status: 404 }),
    ]);
  });

  it('logs tenant creation and a failed spawn as an error naming the code in its message', async () => {
    const failing = await appHarness({
      log: createLogger({ component: 'coordinator', level: 'debug', sink: (e) => entries.push(e) }),
    });
    failing.addNode('n2', () => ({
      ok: false,
      error: { code: 'seed_iso_failed', message: 'genisoimage: EPERM' },
    }));
    const t = await failing.tenant('acme');
    expect(entries.some((e) => e.msg === 'tenant created' && e.fields.tenant_id === t.id)).toBe(true);
    const r = await failing.call('POST', '/v1/vms?wait=true', { token: t.token, body: vmBody });
    expect(r.status).toBeGreaterThanOrEqual(400);
    const failed = entries.find((e) => e.msg === 'vm create failed');
    expect(failed).toMatchObject({ level: 'error', fields: { error_code: 'spawn_failed' } });
    const onNode = entries.find((e) => e.msg === 'vm spawn failed on node');
    expect(onNode).toMatchObject({
      level: 'error',
      fields: { error_code: 'seed_iso_failed', err: { message: 'genisoimage: EPERM' }, tenant_id: t.id },
    });
  });
});
