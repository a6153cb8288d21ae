import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppHarness } from './testing/harness.js';
import { type ServedTenant, servedTenant } from './testing/serve.js';

// The create route reads its body through node's server (not app.request), so the size limit is
// decided from Content-Length, or counted as a chunked body streams in; these go over real TCP.
const vmBody = { name: 'web-1', vcpu_count: 2, memory_mb: 2048, disk_size_gb: 10, image: 'debian' };

interface Answer {
  status: number;
  body: { code?: string; name?: string } | null;
}

/** post sends one request; `chunked` sends the body in pieces without a Content-Length. */
function post(port: number, token: string, body: string, chunked: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    };
    if (!chunked) headers['content-length'] = Buffer.byteLength(body);
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/vms', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    // the server may answer 413 and close before the whole body is sent
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? undefined : reject(err)));
    if (chunked) for (let i = 0; i < body.length; i += 16_384) req.write(body.slice(i, i + 16_384));
    else req.write(body);
    req.end();
  });
}

describe('the body limit over node HTTP', () => {
  let t: ServedTenant;
  let h: AppHarness;
  let port: number;
  let token: string;

  beforeEach(async () => {
    t = await servedTenant();
    ({ h, token } = t);
    port = t.served.port;
  });
  afterEach(() => t.close());

  it.each([false, true])('creates a VM from a small body (chunked: %s)', async (chunked) => {
    const r = await post(port, token, JSON.stringify(vmBody), chunked);
    expect(r.status).toBe(201);
    expect(r.body?.name).toBe('web-1');
  });

  it.each([false, true])(
    'refuses a body over 256 KiB with 413 and claims nothing (chunked: %s)',
    async (chunked) => {
      const big = JSON.stringify({ ...vmBody, pad: 'x'.repeat(300_000) });
      const r = await post(port, token, big, chunked);
      expect(r.status).toBe(413);
      expect(r.body?.code).toBe('payload_too_large');
      expect(Object.keys(h.store.read().vms)).toHaveLength(0);
    },
  );

  it('answers bad JSON and a bad field with their own codes through the direct body read', async () => {
    const bad = await post(port, token, '{"name":', false);
    expect(bad.status).toBe(400);
    expect(bad.body?.code).toBe('bad_request');
    const strict = await post(port, token, JSON.stringify({ ...vmBody, colour: 'red' }), false);
    expect(strict.status).toBe(422);
    expect(strict.body?.code).toBe('validation_failed');
    const empty = await post(port, token, '', false);
    expect(empty.status).toBe(400);
    expect(Object.keys(h.store.read().vms)).toHaveLength(0);
  });
});
