import { beforeEach, describe, expect, it } from 'vitest';
import type { StoreState, VmRecord } from '../store/types.js';
import { type AppHarness, appHarness } from './testing/harness.js';

// GET /v1/vms pages by cursor: the store is filled directly (no node needed to list records).

function record(i: number, tenant: string, at: string): VmRecord {
  const id = `vm-${String(i).padStart(4, '0')}`;
  return {
    id,
    tenant,
    name: id,
    vmid: 1000 + i,
    tags: i % 3 === 0 ? ['web'] : [],
    request: {},
    state: 'failed',
    node_id: null,
    placement: null,
    created_at: at,
    updated_at: at,
  };
}

/** fill adds VMs i in [from, to) for tenant, three per timestamp (ties are ordered by id). */
async function fill(h: AppHarness, tenant: string, from: number, to: number): Promise<void> {
  await h.store.update((d: StoreState) => {
    for (let i = from; i < to; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, Math.floor(i / 3))).toISOString();
      d.vms[`vm-${String(i).padStart(4, '0')}`] = record(i, tenant, at);
    }
  });
}

async function walk(h: AppHarness, query: string, token?: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await h.call(
      'GET',
      `/v1/vms?${query}${cursor ? `&cursor=${cursor}` : ''}`,
      token ? { token } : {},
    );
    expect(r.status).toBe(200);
    ids.push(...r.body.vms.map((v: { id: string }) => v.id));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor);
  return { ids, pages };
}

describe('GET /v1/vms pages', () => {
  let h: AppHarness;
  let a: { id: string; token: string };
  beforeEach(async () => {
    h = await appHarness();
    a = await h.tenant('a');
    const b = await h.tenant('b');
    await fill(h, a.id, 0, 25);
    await fill(h, b.id, 25, 35);
  });

  it('walks every VM once, oldest first, in pages of at most limit, ending with next_cursor null', async () => {
    const { ids, pages } = await walk(h, 'limit=7');
    expect(ids).toEqual(Array.from({ length: 35 }, (_, i) => `vm-${String(i).padStart(4, '0')}`));
    expect(pages).toBe(5);
    const last = await h.call('GET', '/v1/vms?limit=35');
    expect([last.body.vms.length, last.body.next_cursor]).toEqual([35, null]);
  });

  it('keeps tenant isolation and filters across pages', async () => {
    const mine = await walk(h, 'limit=4', a.token);
    expect(mine.ids).toHaveLength(25);
    expect(new Set(mine.ids).size).toBe(25);
    expect((await walk(h, 'limit=2&tag=web', a.token)).ids).toEqual(
      mine.ids.filter((id) => Number(id.slice(3)) % 3 === 0),
    );
  });

  it('is stable under inserts and deletes between pages: every VM present throughout is seen once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const r = await h.call('GET', `/v1/vms?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...r.body.vms.map((v: { id: string }) => v.id));
      cursor = r.body.next_cursor;
      round++;
      await fill(h, a.id, 100 + round * 2, 102 + round * 2); // newer VMs appear at the end
      await h.store.update((d) => {
        delete d.vms[`vm-${String(round).padStart(4, '0')}`]; // already seen
        delete d.vms[`vm-${String(34 - round).padStart(4, '0')}`]; // not seen yet
      });
    } while (cursor && round < 50);
    expect(new Set(seen).size).toBe(seen.length);
    const survivors = Object.keys(h.store.read().vms).filter((id) => Number(id.slice(3)) < 35);
    for (const id of survivors) expect(seen).toContain(id);
  });

  it('answers 500 by default and refuses a bad cursor or limit with 422', async () => {
    await fill(h, a.id, 35, 520);
    const first = await h.call('GET', '/v1/vms');
    expect(first.body.vms).toHaveLength(500);
    expect(typeof first.body.next_cursor).toBe('string');
    const forged = Buffer.from('["x"]').toString('base64url');
    for (const [q, code] of [
      [`cursor=${forged}`, 'invalid_cursor'],
      ['cursor=bm90IGpzb24', 'invalid_cursor'],
      ['cursor=%21%21', 'validation_failed'],
      ['limit=0', 'validation_failed'],
      ['limit=5001', 'validation_failed'],
    ]) {
      const r = await h.call('GET', `/v1/vms?${q}`);
      expect([q, r.status, r.body.code]).toEqual([q, 422, code]);
    }
  });
});
