import { describe, expect, it, vi } from 'vitest';
import { AuditError } from '../audit/entry.js';
import { appHarness } from '../http/testing/harness.js';

const vm = (name: string) => ({ name, vcpu_count: 1, memory_mb: 512, disk_size_gb: 2, image: 'debian' });

// The audit log is real; only its append is made to fail on purpose (a full or broken disk cannot
// be arranged portably in a unit test).
describe('a write whose audit entry cannot be written fails and changes nothing', () => {
  it('POST /v1/vms answers 503 audit_write_failed, keeps no record, frees the VMID; then works again', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const t = await h.tenant('acme');
    const spy = vi
      .spyOn(h.audit, 'append')
      .mockRejectedValue(new AuditError('audit_write_failed', 'Cannot append to audit log: disk full'));
    const r = await h.call('POST', '/v1/vms?wait=true', { token: t.token, body: vm('web-1') });
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('audit_write_failed');
    expect(Object.keys(h.store.read().vms)).toEqual([]);
    expect(h.sent.filter((m) => m.type === 'spawn')).toEqual([]);
    spy.mockRestore();
    const ok = await h.call('POST', '/v1/vms?wait=true', { token: t.token, body: vm('web-1') });
    expect(ok.status).toBe(201);
    expect(ok.body.vmid).toBe(100);
  });

  it('POST /v1/tenants answers 503 and creates no tenant', async () => {
    const h = await appHarness();
    vi.spyOn(h.audit, 'append').mockRejectedValueOnce(new AuditError('audit_write_failed', 'disk full'));
    const r = await h.call('POST', '/v1/tenants', {
      body: { name: 'acme', quota: { vcpus: 4, memory_mb: 4096, vms: 2 } },
    });
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('audit_write_failed');
    expect(h.store.read().tenants).toEqual({});
  });
});
