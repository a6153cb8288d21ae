import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifySignature } from '../webhooks/payload.js';
import { type AppHarness, appHarness } from './testing/harness.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** receiver is a real HTTP server in the test process; `status` picks each answer in turn. */
async function receiver(status: (n: number) => number) {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = status(n++);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, calls: () => n };
}

const closers: (() => Promise<unknown>)[] = [];
const harnesses: AppHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.webhooks.stop();
  for (const c of closers.splice(0)) await c();
});

const fast = { baseDelayMs: 30, maxDelayMs: 100, timeoutMs: 2_000 };
const vmBody = { name: 'w-1', vcpu_count: 1, memory_mb: 512, disk_size_gb: 5, image: 'debian' };

async function until(what: () => boolean, ms = 5_000) {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup(o: Parameters<typeof appHarness>[0] = {}) {
  const h = await appHarness({ delivery: fast, ...o });
  harnesses.push(h);
  h.addNode('n1');
  return h;
}

describe('webhooks (the failure notifier)', () => {
  it('delivers a CloudEvent with an HMAC signature the receiver verifies; the secret is shown once', async () => {
    const rx = await receiver(() => 204);
    const h = await setup();
    const made = await h.call('POST', '/v1/webhooks', { body: { url: rx.url, events: ['vm.running'] } });
    expect(made.status).toBe(201);
    expect(made.body.secret).toMatch(/^whsec_/);
    const t = await h.tenant('a');
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody });
    await until(() => rx.got.length === 1);
    const [d] = rx.got;
    expect(
      verifySignature(made.body.secret, d!.body, d!.headers[SIGNATURE_HEADER] as string, Date.now() / 1000),
    ).toBe(true);
    expect(
      verifySignature('x'.repeat(20), d!.body, d!.headers[SIGNATURE_HEADER] as string, Date.now() / 1000),
    ).toBe(false);
    expect(d!.headers['content-type']).toBe('application/cloudevents+json');
    const ce = JSON.parse(d!.body);
    expect(ce).toMatchObject({
      specversion: '1.0',
      type: 'io.vmpool.vm.running',
      data: { name: 'w-1', tenant_id: t.id },
    });
    const list = await h.call('GET', '/v1/webhooks');
    expect(JSON.stringify(list.body)).not.toContain(made.body.secret);
    await until(() => h.webhooks.get(made.body.id).stats.delivered === 1);
    expect(h.webhooks.get(made.body.id).stats).toMatchObject({
      delivered: 1,
      failed_attempts: 0,
      pending: 0,
    });
    // a tenant cannot see or manage webhooks
    expect((await h.call('GET', '/v1/webhooks', { token: t.token })).status).toBe(404);
  });

  it('retries after the receiver fails twice, keeping event order per subscription', async () => {
    const rx = await receiver((n) => (n < 2 ? 500 : 200));
    const h = await setup();
    const made = await h.call('POST', '/v1/webhooks', { body: { url: rx.url, events: ['vm.'] } });
    const t = await h.tenant('a');
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody });
    await until(() => h.webhooks.get(made.body.id).stats.delivered === 4);
    const stats = h.webhooks.get(made.body.id).stats;
    expect(stats).toMatchObject({
      delivered: 4,
      failed_attempts: 2,
      dead: 0,
      pending: 0,
      last_error: 'HTTP 500',
    });
    expect(rx.got.slice(0, 3).map((g) => g.headers['x-vmpool-attempt'])).toEqual(['1', '2', '3']);
    // the first event was retried until it went through; the later ones followed it, in order
    const types = rx.got.slice(2).map((g) => JSON.parse(g.body).type);
    expect(types).toEqual([
      'io.vmpool.vm.claimed',
      'io.vmpool.vm.placed',
      'io.vmpool.vm.spawning',
      'io.vmpool.vm.running',
    ]);
    const metrics = await h.app.request('/metrics');
    expect(await metrics.text()).toMatch(/^vmpool_webhook_failed_attempts_total 2$/m);
  });

  it('delivers after a coordinator restart in the middle of retrying', async () => {
    let up = false;
    const rx = await receiver(() => (up ? 200 : 503));
    const path = join(await mkdtemp(join(tmpdir(), 'vmpool-wh-restart-')), 'webhooks.json');
    const first = await setup({ webhookPath: path, delivery: { ...fast, baseDelayMs: 60_000 } });
    const made = await first.call('POST', '/v1/webhooks', { body: { url: rx.url, events: ['vm.running'] } });
    const t = await first.tenant('a');
    await first.call('POST', '/v1/vms', { token: t.token, body: vmBody });
    await until(() => first.webhooks.get(made.body.id).stats.failed_attempts === 1);
    await first.webhooks.stop(); // the coordinator goes away with the delivery owed (next try in a minute)
    expect(statSync(path).mode & 0o777).toBe(0o600);
    up = true;
    const second = await setup({ webhookPath: path, now: () => Date.now() + 120_000 });
    // the receiver has the POST before the notifier has read its answer: wait for the figure
    await until(() => second.webhooks.get(made.body.id).stats.delivered === 1);
    expect(rx.got).toHaveLength(2);
    expect(second.webhooks.get(made.body.id).stats).toMatchObject({
      delivered: 1,
      failed_attempts: 1,
      pending: 0,
    });
    const body = JSON.parse(rx.got[1]!.body);
    expect(body.type).toBe('io.vmpool.vm.running');
    expect(rx.got[1]!.headers['x-vmpool-attempt']).toBe('2');
  });

  it('dead-letters after the last attempt and lists it; Alertmanager format on request', async () => {
    const rx = await receiver(() => 500);
    const h = await setup({ delivery: { ...fast, maxAttempts: 2 } });
    const made = await h.call('POST', '/v1/webhooks', {
      body: { url: rx.url, events: ['node.'], format: 'alertmanager', secret: 's'.repeat(16) },
    });
    h.addNode('n2');
    await until(() => h.webhooks.get(made.body.id).stats.dead === 1);
    const dead = await h.call('GET', '/v1/webhooks/dead-letters');
    expect(dead.body.dead_letters).toEqual([
      expect.objectContaining({
        webhook_id: made.body.id,
        event_type: 'node.joined',
        attempts: 2,
        last_error: 'HTTP 500',
      }),
    ]);
    const am = JSON.parse(rx.got[0]!.body);
    expect(am).toMatchObject({
      version: '4',
      status: 'firing',
      alerts: [{ labels: { alertname: 'vmpool_node_joined', node: 'n2' } }],
    });
    expect(
      verifySignature(
        's'.repeat(16),
        rx.got[0]!.body,
        rx.got[0]!.headers[SIGNATURE_HEADER] as string,
        Date.now() / 1000,
      ),
    ).toBe(true);
  });

  it('refuses a non-http URL and an unknown id; delete stops deliveries and is audited', async () => {
    const h = await setup();
    expect((await h.call('POST', '/v1/webhooks', { body: { url: 'file:///etc/passwd' } })).body.code).toBe(
      'validation_failed',
    );
    expect((await h.call('DELETE', '/v1/webhooks/whnope')).status).toBe(404);
    const made = await h.call('POST', '/v1/webhooks', { body: { url: 'http://127.0.0.1:9/x' } });
    expect(made.body.events).toEqual(['vm.failed', 'vm.lost', 'node.down']);
    expect((await h.call('DELETE', `/v1/webhooks/${made.body.id}`)).status).toBe(204);
    expect((await h.call('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
    const audit = await h.call('GET', '/v1/audit');
    expect(audit.body.entries.map((e: { op: string }) => e.op)).toContain(`webhook.delete ${made.body.id}`);
  });
});

describe('webhooks hear refusals and findings that change no record', () => {
  it('delivers quota.rejected for a create and a resize the quota refused', async () => {
    const rx = await receiver(() => 204);
    const h = await setup();
    await h.call('POST', '/v1/webhooks', { body: { url: rx.url, events: ['quota.rejected'] } });
    const t = await h.tenant('small', { vcpus: 2, memory_mb: 8192, vms: 5 });
    const big = await h.call('POST', '/v1/vms', { token: t.token, body: { ...vmBody, vcpu_count: 4 } });
    expect(big.body.code).toBe('quota_exceeded');
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody });
    await h.call('POST', '/v1/vms/w-1/stop', { token: t.token });
    const grow = await h.call('POST', '/v1/vms/w-1/resize', { token: t.token, body: { vcpu_count: 3 } });
    expect(grow.body.code).toBe('quota_exceeded');
    await until(() => rx.got.length === 2);
    const data = rx.got.map((d) => JSON.parse(d.body));
    expect(data.map((ce) => [ce.type, ce.subject, ce.data.resource, ce.data.requested])).toEqual([
      ['io.vmpool.quota.rejected', `tenants/${t.id}`, 'vcpus', 4],
      ['io.vmpool.quota.rejected', `tenants/${t.id}`, 'vcpus', 3],
    ]);
  });

  it('delivers audit.verify_failed when GET /v1/audit/verify finds the chain broken', async () => {
    const rx = await receiver(() => 204);
    const h = await setup();
    await h.call('POST', '/v1/webhooks', { body: { url: rx.url, events: ['audit.'] } });
    await h.tenant('a');
    expect((await h.call('GET', '/v1/audit/verify')).body.ok).toBe(true);
    const text = readFileSync(h.auditPath, 'utf8');
    writeFileSync(h.auditPath, text.replace('tenant.create', 'tenant.delete'));
    const bad = (await h.call('GET', '/v1/audit/verify')).body;
    expect(bad.ok).toBe(false);
    await until(() => rx.got.length === 1);
    expect(JSON.parse(rx.got[0]!.body)).toMatchObject({
      type: 'io.vmpool.audit.verify_failed',
      subject: 'audit',
      data: { line: bad.line, reason: bad.reason },
    });
  });
});
