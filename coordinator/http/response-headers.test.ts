import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ServedTenant, servedTenant } from './testing/serve.js';

// Every answer carries x-request-id (added after the handler, tagResponse), whichever way it was
// built. Over real TCP, because @hono/node-server writes plain headers and Headers objects differently.
const vmBody = { name: 'web-1', vcpu_count: 2, memory_mb: 2048, disk_size_gb: 10, image: 'debian' };

describe('x-request-id over node HTTP', () => {
  let t: ServedTenant;
  let base: string;
  let token: string;

  beforeEach(async () => {
    t = await servedTenant();
    token = t.token;
    base = t.served.url;
  });
  afterEach(() => t.close());

  const create = (headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/vms?wait=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(vmBody),
    });

  it("answers a create with the client's id, JSON and its length", async () => {
    const r = await create({ 'x-request-id': 'req-7' });
    const text = await r.text();
    expect(r.status).toBe(201);
    expect(r.headers.get('x-request-id')).toBe('req-7');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text).name).toBe('web-1');
  });

  it('makes an id for a create without one, and the replay of an idempotent create has its own', async () => {
    const first = await create({ 'idempotency-key': 'k1' });
    const again = await create({ 'idempotency-key': 'k1' });
    expect([first.status, again.status]).toEqual([201, 200]);
    const ids = [first.headers.get('x-request-id'), again.headers.get('x-request-id')];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it.each([
    ['a listing', '/v1/vms', 'good', 200, 'application/json'],
    ['a refusal', '/v1/vms', 'bad', 401, 'application/problem+json'],
    ['an unknown route', '/v1/nope', 'good', 404, 'application/problem+json'],
  ])('tags %s too', async (_what, path, which, status, type) => {
    const r = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${which === 'good' ? token : 'vmp_nope'}`, 'x-request-id': 'r-1' },
    });
    expect(r.status).toBe(status);
    expect(r.headers.get('x-request-id')).toBe('r-1');
    expect(r.headers.get('content-type')).toBe(type);
  });
});
