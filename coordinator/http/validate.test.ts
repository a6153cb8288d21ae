import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../shared/validation.js';
import { paramsOf, queryOf } from './validate.js';

// a bare app: the middlewares' values and refusals, without the coordinator around them
function app() {
  const a = new Hono();
  a.onError((err, c) =>
    c.json({ code: err instanceof ValidationError ? err.code : 'other', message: err.message }, 422),
  );
  const Query = z.strictObject({ a: z.union([z.string(), z.array(z.string())]).optional() });
  a.get('/q', queryOf(Query), (c) => c.json(c.req.valid('query')));
  a.get('/p/:id', paramsOf(z.strictObject({ id: z.string().regex(/^[a-z]+$/) })), (c) =>
    c.json(c.req.valid('param')),
  );
  return a;
}

describe('queryOf and paramsOf', () => {
  it.each([
    ['/q', {}],
    ['/q?a=1', { a: '1' }],
    ['/q?a=1&a=2', { a: ['1', '2'] }],
    ['/q?a=x%20y+z', { a: 'x y z' }],
  ])('%s parses as %j', async (path, want) => {
    const r = await app().request(path);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual(want);
  });

  it.each([
    ['/q?b=1', '"b"'],
    ['/q?__proto__=1', '"__proto__"'], // an own key the strict schema refuses, never a prototype
  ])('%s is refused naming the key', async (path, key) => {
    const r = await app().request(path);
    expect(r.status).toBe(422);
    const body = (await r.json()) as { code: string; message: string };
    expect(body.code).toBe('validation_failed');
    expect(body.message).toMatch(/^Cannot accept query: /);
    expect(body.message).toContain(key);
  });

  it('parses path parameters and refuses a bad one', async () => {
    expect(await (await app().request('/p/abc')).json()).toEqual({ id: 'abc' });
    const r = await app().request('/p/ABC');
    expect(r.status).toBe(422);
    expect(((await r.json()) as { message: string }).message).toMatch(/^Cannot accept path: id /);
  });
});
