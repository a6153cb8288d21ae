import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Context, Hono } from 'hono';

/**
 * The fleet page under /ui: a fixed set of files built by `npm run build:ui` (esbuild, no CDN),
 * served with a strict Content-Security-Policy. The page holds its token in memory and sends it as a
 * bearer header to /v1, so there is no ambient credential for another site to ride (no CSRF surface).
 */

/** UI_CSP allows only this origin's script, style and fetches: no inline script, no other host. */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** UI_FILES is every file the page is made of and its content type; nothing else is served. */
const UI_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** defaultUiDir is where the build puts the page beside the compiled coordinator (dist/ui). */
export function defaultUiDir(): string {
  return resolve(import.meta.dirname, '../../ui');
}

const SECURITY_HEADERS = {
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache',
};

// biome-ignore lint/suspicious/noExplicitAny: the route file takes the app whatever its Env
type AnyHono = Hono<any>;

/** registerUi serves the page's files under /ui/ and sends / there; a missing build answers 404. */
export function registerUi(app: AnyHono, dir: string = defaultUiDir()): void {
  app.get('/', (c) => c.redirect('/ui/', 302));
  app.get('/ui', (c) => c.redirect('/ui/', 301));
  // two routes, not one `{[^/]*}`: a pattern that matches '' keeps hono off its RegExpRouter
  const serve = async (c: Context) => {
    const name = c.req.param('file') || 'index.html';
    const type = UI_FILES[name];
    if (!type) return c.notFound();
    let body: Buffer;
    try {
      body = await readFile(join(dir, name));
    } catch {
      return c.notFound();
    }
    return c.body(new Uint8Array(body), 200, { ...SECURITY_HEADERS, 'content-type': type });
  };
  app.get('/ui/', serve);
  app.get('/ui/:file', serve);
}
