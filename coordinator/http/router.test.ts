import { expect, it } from 'vitest';
import { appHarness } from './testing/harness.js';

// hono's SmartRouter takes the first router that accepts every route: RegExpRouter matches a request
// with one precompiled regex; a route it refuses (a pattern matching '', a fixed segment beside a
// parameter) silently drops every request onto the TrieRouter, ~50x slower and allocating per match.
it('matches every route with hono RegExpRouter, not the trie fallback', async () => {
  const h = await appHarness();
  expect((await h.call('GET', '/healthz')).status).toBe(200);
  const router = h.app.router as unknown as { activeRouter: { name: string } };
  expect(router.activeRouter.name).toBe('RegExpRouter');
});

it('still answers the routes split for it: /ui/ and the webhook dead letters', async () => {
  const h = await appHarness();
  const ui = await h.app.request('/ui/');
  expect([200, 404]).toContain(ui.status); // 404 only when the page was not built
  expect((await h.app.request('/ui/nope.txt')).status).toBe(404);
  const dead = await h.call('GET', '/v1/webhooks/dead-letters');
  expect(dead.status).toBe(200);
  expect(dead.body).toEqual({ dead_letters: [] });
  const missing = await h.call('GET', '/v1/webhooks/wh-none');
  expect(missing.status).toBe(404);
});
