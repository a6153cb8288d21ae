import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUi, UI_CSP } from './routes-ui.js';

let dir: string;
let app: Hono;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpool-ui-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="app.js"></script>');
  await writeFile(join(dir, 'app.js'), 'export {};');
  await writeFile(join(dir, 'secret.txt'), 'not part of the page');
  app = new Hono();
  registerUi(app, dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('/ui routes', () => {
  it('serves the page with a strict CSP, nosniff and no referrer', async () => {
    const res = await app.request('/ui/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(UI_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(UI_CSP).not.toMatch(/unsafe|\*|https?:/);
    const js = await app.request('/ui/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it.each([
    '/ui/secret.txt',
    '/ui/..%2Fsecret.txt',
    '/ui/%2e%2e/%2e%2e/etc/passwd',
    '/ui/app.css', // listed but not built here: 404, not a crash
    '/ui/sub/app.js',
  ])('answers 404 to %s', async (path) => {
    expect((await app.request(path)).status).toBe(404);
  });

  it('sends / and /ui to /ui/', async () => {
    expect((await app.request('/')).headers.get('location')).toBe('/ui/');
    expect((await app.request('/ui')).headers.get('location')).toBe('/ui/');
  });
});
