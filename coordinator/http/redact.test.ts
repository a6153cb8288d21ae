import { describe, expect, it } from 'vitest';
import { appHarness } from './testing/harness.js';
import { REDACTED, redactHostPaths } from './redact.js';

const vmBody = { name: 'web-1', vcpu_count: 2, memory_mb: 1024, disk_size_gb: 5, image: 'debian' };
const AGENT_MESSAGE =
  'step defined: Cannot define domain: bridge br-prod does not exist (/sys/class/net/br-prod); disk /var/lib/vmpool/images/vms/x/root.qcow2 kept';

describe('tenant-facing redaction of node messages', () => {
  it('replaces host paths and keeps steps, bridges, codes and API routes', () => {
    expect(redactHostPaths(AGENT_MESSAGE)).toBe(
      `step defined: Cannot define domain: bridge br-prod does not exist (${REDACTED}); disk ${REDACTED} kept`,
    );
    expect(redactHostPaths('watch GET /v1/vms/abc; ratio 1/2 at 10:30')).toBe(
      'watch GET /v1/vms/abc; ratio 1/2 at 10:30',
    );
  });

  it('spawn_failed carries the node message to the tenant with host paths redacted', async () => {
    const h = await appHarness();
    h.addNode('n1', (m) =>
      m.type === 'spawn'
        ? { ok: false, error: { code: 'bridge_not_found', message: AGENT_MESSAGE } }
        : { ok: true },
    );
    const t = await h.tenant('a');
    const r = await h.call('POST', '/v1/vms', { token: t.token, body: vmBody });
    expect([r.status, r.body.code]).toEqual([502, 'spawn_failed']);
    expect(r.body.agent_error.code).toBe('bridge_not_found');
    expect(r.body.agent_error.message).toContain('step defined');
    expect(r.body.agent_error.message).toContain('br-prod');
    expect(JSON.stringify(r.body)).not.toMatch(/\/var\/lib|\/sys\/class/);
    expect(r.body.detail).toContain('br-prod');
  });

  it('the admin reads a node refusal whole', async () => {
    const h = await appHarness({
      power: () => ({ ok: false, error: { code: 'libvirt_error', message: AGENT_MESSAGE } }),
    });
    h.addNode('n1');
    const t = await h.tenant('a');
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody });
    const tenant = await h.call('POST', '/v1/vms/web-1/stop', { token: t.token });
    expect(tenant.body.agent_error.message).not.toContain('/var/lib');
    const admin = await h.call('POST', '/v1/vms/web-1/stop');
    expect(admin.body.agent_error.message).toBe(AGENT_MESSAGE);
  });
});
