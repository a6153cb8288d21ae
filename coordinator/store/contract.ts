import { describe, expect, it } from 'vitest';
import type { Store, TenantRecord } from './types.js';

/** StoreHarness is one fresh store under test plus the hooks the contract needs. */
export interface StoreHarness {
  store: Store;
  /** failWrites turns fault injection on or off for the following writes */
  failWrites(fail: boolean): void;
  /** reopen opens a second store over the same durable data: what survives a restart */
  reopen: () => Store;
}

/** storeContract runs the same cases against every Store implementation. */
export function storeContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    it('load gives an empty version 1 state on first use', async () => {
      const { store } = await factory();
      expect(await store.load()).toEqual({ version: 1, tenants: {}, vms: {}, idempotency: {} });
    });

    it('read before load throws store_not_loaded', async () => {
      const { store } = await factory();
      expect(() => store.read()).toThrow(expect.objectContaining({ code: 'store_not_loaded' }));
    });

    it('update is visible in read() at once, before it is durable', async () => {
      const { store } = await factory();
      await store.load();
      const done = store.update((d) => {
        d.tenants.t1 = tenant('t1');
      });
      expect(store.read().tenants.t1?.name).toBe('tenant t1');
      await done;
      expect(store.writes).toBe(1);
    });

    it('a throwing mutator leaves none of its changes and does not disturb others', async () => {
      const { store } = await factory();
      await store.load();
      const ok = store.update((d) => {
        d.tenants.a = tenant('a');
      });
      const bad = store.update((d) => {
        d.tenants.b = tenant('b');
        throw new Error('boom');
      });
      await expect(bad).rejects.toThrow('boom');
      await ok;
      expect(Object.keys(store.read().tenants)).toEqual(['a']);
    });

    it('100 concurrent updates are group-committed in 1-3 writes', async () => {
      const { store } = await factory();
      await store.load();
      const before = store.writes;
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          store.update((d) => {
            d.tenants[`t${i}`] = tenant(`t${i}`);
          }),
        ),
      );
      expect(store.writes - before).toBeGreaterThanOrEqual(1);
      expect(store.writes - before).toBeLessThanOrEqual(3);
      expect(Object.keys(store.read().tenants)).toHaveLength(100);
    });

    it('updates made while a write runs are committed by a later write', async () => {
      const h = await factory();
      await h.store.load();
      const first = h.store.update((d) => {
        d.tenants.first = tenant('first');
      });
      await new Promise((r) => setImmediate(r));
      const second = h.store.update((d) => {
        d.tenants.second = tenant('second');
      });
      await Promise.all([first, second]);
      expect(h.store.writes).toBe(2);
      expect(Object.keys((await h.reopen().load()).tenants).sort()).toEqual(['first', 'second']);
    });

    it('a failed write rejects with store_write_failed and rolls the change back', async () => {
      const h = await factory();
      await h.store.load();
      await h.store.update((d) => {
        d.tenants.kept = tenant('kept');
      });
      h.failWrites(true);
      const failing = h.store.update((d) => {
        d.tenants.lost = tenant('lost');
        delete d.tenants.kept;
      });
      await expect(failing).rejects.toMatchObject({ code: 'store_write_failed' });
      expect(Object.keys(h.store.read().tenants)).toEqual(['kept']);
      h.failWrites(false);
      await h.store.update((d) => {
        d.tenants.after = tenant('after');
      });
      expect(Object.keys(h.store.read().tenants).sort()).toEqual(['after', 'kept']);
    });

    it('state survives reopening; a change that failed to write does not', async () => {
      const h = await factory();
      await h.store.load();
      await h.store.update((d) => {
        d.tenants.t1 = tenant('t1');
      });
      h.failWrites(true);
      const failed = h.store.update((d) => {
        d.tenants.t2 = tenant('t2');
      });
      await expect(failed).rejects.toThrow();
      const reopened = await h.reopen().load();
      expect(Object.keys(reopened.tenants)).toEqual(['t1']);
      expect(reopened.tenants.t1).toEqual(tenant('t1'));
      expect(reopened).toEqual(h.store.read());
    });
  });
}

/** tenant is a tenant record fixture for store tests. */
export function tenant(id: string): TenantRecord {
  return {
    id,
    name: `tenant ${id}`,
    token_hash: '0'.repeat(64),
    quota: { vcpus: 8, memory_mb: 8192, vms: 4 },
    created_at: '2026-01-01T00:00:00.000Z',
  };
}
