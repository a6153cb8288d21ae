import { describe, expect, it } from 'vitest';
import type { FetchFn } from '../api/index.js';
import { appHarness, HARNESS_ADMIN_TOKEN } from '../coordinator/http/testing/harness.js';
import { run } from './run.js';

const URL_BASE = 'http://coordinator.test:7700';
const vmBody = { name: 'w-1', vcpu_count: 1, memory_mb: 512, disk_size_gb: 5, image: 'debian' };

/** endAfter cuts an SSE body after `n` events, as a coordinator going away would end the stream. */
function endAfter(body: ReadableStream<Uint8Array>, n: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream({
    async pull(ctrl) {
      const { done, value } = await reader.read();
      if (done || seen >= n) return ctrl.close();
      seen += (new TextDecoder().decode(value).match(/^data:/gm) ?? []).length;
      ctrl.enqueue(value);
      if (seen >= n) {
        await reader.cancel();
        ctrl.close();
      }
    },
  });
}

async function watching(
  argv: string[],
  token: string,
  h: Awaited<ReturnType<typeof appHarness>>,
  events: number,
) {
  let requests = 0;
  const fetchFn: FetchFn = async (input, init) => {
    requests++;
    const res = await h.app.request(input, init);
    if (!new URL(input).pathname.startsWith('/v1/events') || !res.body) return res;
    return new Response(endAfter(res.body, events), { status: res.status, headers: res.headers });
  };
  let stdout = '';
  const done = run(argv, {
    env: { VMPOOL_URL: URL_BASE, VMPOOL_TOKEN: token },
    fetch: fetchFn,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: () => true },
  });
  return { done, out: () => stdout, requests: () => requests };
}

describe('--watch redraws on events, without polling', () => {
  it('list --watch draws at once, then once more after a burst of events (coalesced)', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const t = await h.tenant('a');
    const w = await watching(['list', '--watch'], t.token, h, 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(w.out()).toMatch(/^ID\s+NAME/);
    expect(w.out()).not.toContain('w-1');
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody }); // claimed, placed, spawning, running
    expect(await w.done).toBe(0);
    const drawings = w.out().trimEnd().split('\n\n');
    expect(drawings).toHaveLength(2);
    expect(drawings[1]).toMatch(/w-1\s+\S+\s+\d+\s+running/);
    // one list, the stream, one list again: nothing polled
    expect(w.requests()).toBe(3);
  });

  it('nodes --watch redraws when a node goes down', async () => {
    const h = await appHarness();
    h.addNode('n1');
    const w = await watching(['nodes', '--watch'], HARNESS_ADMIN_TOKEN, h, 1); // node.down
    await new Promise((r) => setTimeout(r, 400));
    h.registry.sweep(Date.now() + 3_600_000);
    expect(await w.done).toBe(0);
    const drawings = w.out().trimEnd().split('\n\n');
    expect(drawings).toHaveLength(2);
    expect(drawings[0]).toMatch(/n1\s+ready/);
    expect(drawings[1]).toMatch(/n1\s+down\s+.*down: no capacity/);
  });
});
