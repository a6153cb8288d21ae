import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory-store.js';
import type { VmRecord } from './types.js';

const AT = '2026-01-01T00:00:00.000Z';
function vm(id: string): VmRecord {
  return {
    id,
    tenant: 't',
    name: id,
    vmid: 1,
    tags: ['a'],
    request: {},
    state: 'creating',
    node_id: null,
    placement: null,
    created_at: AT,
    updated_at: AT,
  };
}

async function loaded(ids: string[]): Promise<MemoryStore> {
  const s = new MemoryStore();
  await s.load();
  await s.update((d) => {
    for (const id of ids) d.vms[id] = vm(id);
  });
  return s;
}

describe('in-place updates (file and memory stores)', () => {
  it('replaces a changed record with a new object and leaves the old one as it was', async () => {
    const s = await loaded(['a', 'b']);
    const oldA = s.read().vms.a;
    const oldB = s.read().vms.b;
    await s.update((d) => {
      const a = d.vms.a;
      if (a) a.state = 'running';
    });
    expect(oldA?.state).toBe('creating');
    expect(s.read().vms.a?.state).toBe('running');
    expect(s.read().vms.b).toBe(oldB);
  });

  it('accepts a spread of a draft, iteration with mutation, and maps created on the fly', async () => {
    const s = await loaded(['a', 'b', 'c']);
    await s.update((d) => {
      const a = d.vms.a as VmRecord;
      d.vms.a = { ...a, state: 'running', tags: [...a.tags, 'b'] };
      for (const v of Object.values(d.vms)) if (v.id !== 'a') v.state = 'failed';
      d.nodes ??= {};
      d.nodes.n1 = { id: 'n1', secret_hash: 'h', enrolled_at: AT };
      delete d.vms.c;
    });
    const st = s.read();
    expect(Object.keys(st.vms)).toEqual(['a', 'b']);
    expect(st.vms.a).toMatchObject({ state: 'running', tags: ['a', 'b'] });
    expect(st.vms.b?.state).toBe('failed');
    expect(st.nodes?.n1?.id).toBe('n1');
    expect(JSON.parse(JSON.stringify(st))).toEqual(await s.reopen().load());
  });

  it('stores a new record that holds no draft as it is, and one that holds drafts as plain data', async () => {
    const s = await loaded(['a']);
    const fresh = vm('n');
    await s.update((d) => {
      d.vms.n = fresh;
    });
    expect(s.read().vms.n).toBe(fresh);
    await s.update((d) => {
      const a = d.vms.a as VmRecord;
      d.vms.m = { ...vm('m'), tags: a.tags, request: { nested: [a.tags] } };
    });
    const m = s.read().vms.m as VmRecord;
    expect(m.tags).toBe(s.read().vms.a?.tags);
    expect(m.request).toEqual({ nested: [['a']] });
    expect(JSON.parse(JSON.stringify(s.read()))).toEqual(await s.reopen().load());
  });

  it('drafts answer `in`, keys and prototype like the state they stand for', async () => {
    const s = await loaded(['a', 'b']);
    const seen: unknown[] = [];
    await s.update((d) => {
      seen.push('vms' in d, 'nodes' in d, 'a' in d.vms, 'z' in d.vms, Object.getPrototypeOf(d.vms));
      delete d.vms.b;
      d.vms.c = vm('c');
      seen.push(Object.keys(d.vms), 'b' in d.vms);
      d.join_token_hash = 'h';
      seen.push('join_token_hash' in d, d.join_token_hash);
    });
    expect(seen).toEqual([true, false, true, false, null, ['a', 'c'], false, true, 'h']);
    expect(s.read().join_token_hash).toBe('h');
  });

  it('a throwing mutator changes nothing; a failed batch is undone record by record', async () => {
    const s = await loaded(['a', 'b']);
    const before = structuredClone(s.read());
    await expect(
      s.update((d) => {
        delete d.vms.a;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(s.read()).toEqual(before);
    s.failWrites = true;
    const first = s.update((d) => {
      delete d.vms.a;
      d.vms.z = vm('z');
    });
    const second = s.update((d) => {
      const b = d.vms.b;
      if (b) b.state = 'lost';
    });
    await expect(Promise.all([first, second])).rejects.toMatchObject({ code: 'store_write_failed' });
    expect(s.read()).toEqual(before);
  });
});
