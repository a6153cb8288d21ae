import { afterEach, describe, expect, it } from 'vitest';
import { type StreamItem, VmpoolClient } from '../../api/index.js';
import type { CoordinatorEvent } from '../../shared/events.js';
import { type AppHarness, appHarness, HARNESS_ADMIN_TOKEN } from './testing/harness.js';
import { serveOnLoopback } from './testing/serve.js';

const vmBody = (name: string) => ({ name, vcpu_count: 1, memory_mb: 512, disk_size_gb: 5, image: 'debian' });

/** listen serves the harness app on loopback so streams go over real HTTP. */
async function listen(h: AppHarness) {
  const { url, close } = await serveOnLoopback(h.app.fetch);
  closers.push(close);
  return { url, client: (token: string) => new VmpoolClient({ url, token }) };
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function collect(it: AsyncGenerator<StreamItem>, n = Number.POSITIVE_INFINITY) {
  const out: StreamItem[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
}

const seqs = (items: StreamItem[]) => items.flatMap((x) => ('event' in x ? [x.event.seq] : []));

describe('GET /v1/events', () => {
  it('shows a tenant only its own VMs, the admin everything, with id = seq', async () => {
    const h = await appHarness({ bands: [{ name: 'd', from: 100, to: 150 }] });
    h.addNode('n1');
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    await h.call('POST', '/v1/vms', { token: a.token, body: vmBody('a-1') });
    await h.call('POST', '/v1/vms', { token: b.token, body: vmBody('b-1') });
    const { client, url } = await listen(h);
    const mine = await collect(client(a.token).events({ since: 0, follow: false }));
    const events = mine.map((x) => ('event' in x ? x.event : null)) as CoordinatorEvent[];
    expect(events.map((e) => e.type)).toEqual(['vm.claimed', 'vm.placed', 'vm.spawning', 'vm.running']);
    expect(events.every((e) => 'tenant_id' in e && e.tenant_id === a.id)).toBe(true);
    const all = await collect(client(HARNESS_ADMIN_TOKEN).events({ since: 0, follow: false }));
    expect(all.length).toBe(9); // node.joined + 4 per VM
    const nodeOnly = await collect(
      client(HARNESS_ADMIN_TOKEN).events({ since: 0, follow: false, kind: 'node.' }),
    );
    expect(nodeOnly.map((x) => 'event' in x && x.event.type)).toEqual(['node.joined']);
    // the wire carries `id:` as the seq, for browsers' EventSource and for Last-Event-ID
    const raw = await fetch(`${url}/v1/events?since=0&follow=false`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(raw.headers.get('content-type')).toContain('text/event-stream');
    expect(await raw.text()).toMatch(
      new RegExp(`^event: vm.claimed\\ndata: .*\\nid: ${events[0]!.seq}$`, 'm'),
    );
  });

  it('resumes after a disconnect with Last-Event-ID and loses nothing in between', async () => {
    const h = await appHarness({ bands: [{ name: 'd', from: 100, to: 150 }] });
    h.addNode('n1');
    const t = await h.tenant('a');
    const { client, url } = await listen(h);
    const ac = new AbortController();
    const live = client(HARNESS_ADMIN_TOKEN).events({}, ac.signal);
    const firstTwo = collect(live, 2);
    await new Promise((r) => setTimeout(r, 50));
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody('x-1') });
    const got = await firstTwo;
    ac.abort();
    const last = seqs(got).at(-1)!;
    // while disconnected, more happens
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody('x-2') });
    const res = await fetch(`${url}/v1/events?follow=false`, {
      headers: { authorization: `Bearer ${HARNESS_ADMIN_TOKEN}`, 'last-event-id': String(last) },
    });
    const resumed = [...(await res.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const every = seqs(await collect(client(HARNESS_ADMIN_TOKEN).events({ since: 0, follow: false })));
    expect([...seqs(got), ...resumed]).toEqual(every.filter((s) => s >= seqs(got)[0]!));
    expect(resumed.length).toBe(6); // two of x-1, four of x-2
    await new Promise((r) => setTimeout(r, 20));
    expect(h.events.readers).toBe(0);
  });

  it('says `gap` when the events asked for fell out of the ring', async () => {
    const h = await appHarness({ ringSize: 3, bands: [{ name: 'd', from: 100, to: 150 }] });
    h.addNode('n1');
    const t = await h.tenant('a');
    await h.call('POST', '/v1/vms', { token: t.token, body: vmBody('x-1') });
    const { client } = await listen(h);
    const items = await collect(client(HARNESS_ADMIN_TOKEN).events({ since: 0, follow: false }));
    expect(items[0]).toEqual({ gap: { since: 0, oldest: 3 } });
    expect(seqs(items)).toEqual([3, 4, 5]);
  });

  it('refuses a bad query with validation_failed', async () => {
    const h = await appHarness();
    const r = await h.call('GET', '/v1/events?since=-1');
    expect(r.body.code).toBe('validation_failed');
  });
});
