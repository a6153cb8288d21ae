import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster } from '../ha/testing/etcd-cluster.js';
import { Cordons } from '../nodes/cordons.js';
import { storeContract, tenant } from './contract.js';
import { EtcdStore, type EtcdStoreOptions } from './etcd-store.js';
import type { StoreState } from './types.js';

// A real single-member etcd (Debian's etcd-server) on a loopback port; each case uses its own prefix.
let cluster: EtcdCluster;
let client: Etcd3;
let n = 0;
beforeAll(async () => {
  cluster = await EtcdCluster.start(1);
  client = new Etcd3({ hosts: cluster.endpoints });
}, 30_000);
afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

/** leaderAndFollower loads two stores on one prefix: the one that writes and the one that mirrors. */
async function leaderAndFollower(prefix: string): Promise<{ leader: EtcdStore; follower: EtcdStore }> {
  const leader = new EtcdStore({ client, prefix });
  const follower = new EtcdStore({ client, prefix });
  await leader.load();
  await follower.load();
  return { leader, follower };
}

/** FlakyEtcdStore makes the contract's injected write failures happen before etcd is asked. */
class FlakyEtcdStore extends EtcdStore {
  failing = false;
  protected override persist(state: StoreState): Promise<void> {
    return this.failing ? Promise.reject(new Error('EIO: injected')) : super.persist(state);
  }
}

storeContract('etcd', async () => {
  const prefix = `/contract-${++n}`;
  const store = new FlakyEtcdStore({ client, prefix });
  return {
    store,
    failWrites: (fail) => {
      store.failing = fail;
    },
    reopen: () => new EtcdStore({ client, prefix }),
  };
});

describe('EtcdStore records and fencing', () => {
  const fresh = (o: Partial<EtcdStoreOptions> = {}) =>
    new EtcdStore({ client, prefix: `/case-${++n}`, ...o });

  it('keeps one key per record and a write touches only the records it changed', async () => {
    const store = fresh();
    await store.load();
    await store.update((d) => {
      d.tenants.a = tenant('a');
      d.tenants.b = tenant('b');
    });
    const before = await client.get(store.keys.key('tenants', 'a')).exec();
    await store.update((d) => {
      d.tenants.b!.name = 'renamed';
      delete d.tenants.missing;
    });
    const after = await client.get(store.keys.key('tenants', 'a')).exec();
    expect(after.kvs[0]!.mod_revision).toBe(before.kvs[0]!.mod_revision);
    expect(JSON.parse((await client.get(store.keys.key('tenants', 'b')).string())!).name).toBe('renamed');
    expect(await client.getAll().prefix(store.keys.records).keys()).toHaveLength(2);
  });

  it('refuses to overwrite a record another writer changed, and rolls back', async () => {
    const store = fresh();
    await store.load();
    await store.update((d) => {
      d.tenants.a = tenant('a');
    });
    await client.put(store.keys.key('tenants', 'a')).value(JSON.stringify({ ...tenant('a'), name: 'other' }));
    const write = store.update((d) => {
      d.tenants.a!.name = 'mine';
    });
    await expect(write).rejects.toMatchObject({ code: 'store_write_failed' });
    expect(store.read().tenants.a?.name).toBe('tenant a');
    expect(JSON.parse((await client.get(store.keys.key('tenants', 'a')).string())!).name).toBe('other');
  });

  it('a write fenced on an election key that changed hands is refused with fenced and writes nothing', async () => {
    const key = `/fence-${++n}`;
    await client.put(key).value('me');
    const mine = (await client.get(key).exec()).kvs[0]!.create_revision;
    const store = fresh({ fence: () => ({ key, createRevision: mine }) });
    await store.load();
    await store.update((d) => {
      d.tenants.ok = tenant('ok');
    });
    await client.delete().key(key);
    await client.put(key).value('someone else');
    await expect(
      store.update((d) => {
        d.tenants.stale = tenant('stale');
      }),
    ).rejects.toMatchObject({ code: 'fenced' });
    expect(await client.getAll().prefix(store.keys.records).keys()).toEqual([
      store.keys.key('tenants', 'ok'),
    ]);
  });

  it('without leadership a write is refused with not_leader before etcd is asked', async () => {
    const store = fresh({ fence: () => null });
    await store.load();
    await expect(
      store.update((d) => {
        d.tenants.x = tenant('x');
      }),
    ).rejects.toMatchObject({ code: 'not_leader' });
  });

  it('a follower mirrors the leader writes and deletes into its reads', async () => {
    const prefix = `/mirror-${++n}`;
    const { leader, follower } = await leaderAndFollower(prefix);
    await follower.follow();
    await leader.update((d) => {
      d.tenants.a = tenant('a');
      d.tenants.b = tenant('b');
    });
    await leader.update((d) => {
      delete d.tenants.a;
    });
    await expect.poll(() => Object.keys(follower.read().tenants), { timeout: 5_000 }).toEqual(['b']);
    await follower.close();
  });

  it("a follower's reached() waits for the leader's write revision and says false when it never comes", async () => {
    const prefix = `/reached-${++n}`;
    const { leader, follower } = await leaderAndFollower(prefix);
    await follower.follow();
    await leader.update((d) => {
      d.tenants.a = tenant('a');
    });
    const rev = leader.headRevision;
    expect(await follower.reached(rev, 5_000)).toBe(true);
    expect(Object.keys(follower.read().tenants)).toEqual(['a']);
    const t0 = Date.now();
    expect(await follower.reached(String(BigInt(rev) + 1000n), 200)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(await follower.reached('not-a-revision', 200)).toBe(false);
    await follower.close();
  });

  it('keeps top-level scalars (a rotated join token hash) and the maps main added (kept disks, node credentials)', async () => {
    const prefix = `/scalar-${++n}`;
    const store = new EtcdStore({ client, prefix });
    await store.load();
    await store.update((d) => {
      d.join_token_hash = 'f'.repeat(64);
      d.kept_disks = { k1: keptDisk('k1') };
      d.nodes = { n1: { id: 'n1', secret_hash: 'a'.repeat(64), enrolled_at: '2026-01-01T00:00:00.000Z' } };
    });
    expect(await client.get(store.keys.key('_', 'join_token_hash')).string()).toBe(
      JSON.stringify('f'.repeat(64)),
    );
    const again = new EtcdStore({ client, prefix });
    const state = await again.load();
    expect(state.join_token_hash).toBe('f'.repeat(64));
    expect(state.kept_disks?.k1?.vm_name).toBe('vm-k1');
    expect(Object.keys(state.nodes ?? {})).toEqual(['n1']);
    expect(state.version).toBe(1);
    await again.update((d) => {
      delete d.join_token_hash;
    });
    expect(await client.get(store.keys.key('_', 'join_token_hash')).string()).toBeNull();
  });

  it('cordons kept in the store outlive their leader: a store reopened on the prefix honours them', async () => {
    const prefix = `/cordons-${++n}`;
    const first = new EtcdStore({ client, prefix });
    await first.load();
    await Cordons.inStore(first).set('n7', { reason: 'disk swap', since: '2026-01-01T00:00:00.000Z' });
    await Cordons.inStore(first).set('n8', { reason: 'drain', since: '2026-01-01T00:00:00.000Z' });
    await Cordons.inStore(first).set('n8', null);
    const next = new EtcdStore({ client, prefix });
    await next.load();
    const cordons = Cordons.inStore(next);
    expect([...cordons.ids()]).toEqual(['n7']);
    expect(cordons.get('n7')?.reason).toBe('disk swap');
    expect(cordons.get('constructor')).toBeUndefined();
    expect(await client.getAll().prefix(`${prefix}/s/cordons/`).keys()).toEqual([`${prefix}/s/cordons/n7`]);
  });

  it("a follower's watchers (the VM index) see the VMs it mirrors", async () => {
    const prefix = `/watch-${++n}`;
    const { leader, follower } = await leaderAndFollower(prefix);
    const seen: string[] = [];
    follower.watch((change) => seen.push(...change.vms));
    await follower.follow();
    await leader.update((d) => {
      d.vms.v1 = { id: 'v1' } as never;
    });
    await expect.poll(() => seen, { timeout: 5_000 }).toEqual(['v1']);
    await follower.close();
  });
});

function keptDisk(id: string) {
  return {
    id,
    node_id: 'n1',
    tenant: 't1',
    vm_name: `vm-${id}`,
    vmid: 100,
    disk_gb: 10,
    kept_at: '2026-01-01T00:00:00.000Z',
  };
}
