import { beforeEach, describe, expect, it } from 'vitest';
import type { VmReport } from '../../shared/protocol.js';
import { EventBus } from '../events/bus.js';
import { FailingStore, MemoryStore } from '../store/index.js';
import { ClaimBook } from './claim-book.js';
import { claimInput } from './testing/claims.js';
import { VmIndex } from './vm-index.js';

const input = claimInput;
const report = (vm_id: string, state: VmReport['state']): VmReport => ({
  vm_id,
  name: vm_id,
  state,
  numa_node: 0,
  vcpu_pins: [4],
  emulator_cpuset: [],
  memory_mb: 64,
  vcpu_count: 1,
  cpu_policy: 'dedicated',
  domain_uuid: null,
});

async function book(store = new MemoryStore()) {
  await store.load();
  const bus = new EventBus();
  const events: string[] = [];
  bus.subscribe((e) => void events.push(e.type));
  const vms = indexed ? new VmIndex(store) : undefined;
  return { store, events, claims: new ClaimBook({ store, bus, ...(vms ? { vms } : {}) }) };
}

// Every ClaimBook test runs twice: reports walked from the store, and through the VmIndex shortcut.
let indexed = false;

describe.each([
  ['store scan', false],
  ['VmIndex', true],
])('ClaimBook (%s)', (_name, withIndex) => {
  beforeEach(() => {
    indexed = withIndex;
  });

  it('skips a report identical to the last one only while nothing it depends on changed', async () => {
    const { claims, store } = await book();
    await claims.claim(input('a'));
    claims.finish('a');
    await claims.markRunning('a', 'r');
    expect(await claims.reconcile({ id: 'n1' }, [report('a', 'running')])).toEqual([]);
    const writes = store.writes;
    expect(await claims.reconcile({ id: 'n1' }, [report('a', 'running')])).toEqual([]);
    expect(await claims.reconcile({ id: 'n1' }, [report('a', 'stopped')])).toEqual(['a:stopped']);
    expect(await claims.reconcile({ id: 'n1' }, [report('a', 'stopped')])).toEqual([]);
    expect(store.writes).toBe(writes + 1);
    // the record changing under the same report is noticed
    await store.update((d) => {
      d.vms.a!.state = 'running';
    });
    expect(await claims.reconcile({ id: 'n1' }, [report('a', 'stopped')])).toEqual(['a:stopped']);
    // an unknown VM is always looked at (it may be adoptable)
    expect(await claims.reconcile({ id: 'n1' }, [report('a', 'stopped'), report('x', 'running')])).toEqual([
      'x:adopted',
    ]);
  });

  it('names a report by its digest (v2 beats): the same digest is skipped until the records move', async () => {
    const { claims, store } = await book();
    await claims.claim(input('a'));
    claims.finish('a');
    await claims.markRunning('a', 'r');
    const stopped = [report('a', 'stopped')];
    expect(await claims.reconcile({ id: 'n1' }, stopped, 'd1')).toEqual(['a:stopped']);
    const writes = store.writes;
    expect(await claims.reconcile({ id: 'n1' }, stopped, 'd1')).toEqual([]);
    expect(store.writes).toBe(writes);
    await store.update((d) => {
      d.vms.a!.state = 'running';
    });
    // the kept list behind an unchanged digest is walked again against the changed record
    expect(await claims.reconcile({ id: 'n1' }, stopped, 'd1')).toEqual(['a:stopped']);
  });

  it('unchanged (synchronous) is true only for the digest last found settled, while nothing moved', async () => {
    const { claims, store } = await book();
    await claims.claim(input('a'));
    claims.finish('a');
    await claims.markRunning('a', 'r');
    const running = [report('a', 'running')];
    expect(claims.unchanged('n1', 'd1')).toBe(false); // never reconciled
    expect(await claims.reconcile({ id: 'n1' }, running, 'd1')).toEqual([]);
    // without the VmIndex there is no cheap version to compare: every beat is reconciled
    expect(claims.unchanged('n1', 'd1')).toBe(withIndex);
    expect(claims.unchanged('n1', 'd2')).toBe(false);
    expect(claims.unchanged('n2', 'd1')).toBe(false);
    await store.update((d) => {
      d.vms.a!.state = 'stopped';
    });
    expect(claims.unchanged('n1', 'd1')).toBe(false); // the record moved
    expect(await claims.reconcile({ id: 'n1' }, running, 'd1')).toEqual(['a:running']);
    expect(await claims.reconcile({ id: 'n1' }, running, 'd1')).toEqual([]);
    expect(claims.unchanged('n1', 'd1')).toBe(withIndex);
    const pending = claims.claim(input('b'));
    expect(claims.unchanged('n1', 'd1')).toBe(false); // a spawn in flight
    await pending;
  });

  it('claim holds the VM in flight at once, so a hello arriving during the write leaves it alone', async () => {
    const { claims, events } = await book();
    const pending = claims.claim(input('a'));
    expect(claims.isInflight('a')).toBe(true);
    expect(await claims.reconcile({ id: 'n1' }, [])).toEqual([]);
    await pending;
    expect(events).toEqual(['vm.claimed', 'vm.placed']);
    claims.finish('a');
    expect(await claims.reconcile({ id: 'n1' }, [])).toEqual(['a:released']);
    expect(claims.state().idempotency).toEqual({});
    expect(events.at(-1)).toBe('vm.released');
  });

  it('a claim whose write fails leaves nothing: no record, not in flight, no event (write, then audit)', async () => {
    const store = new FailingStore();
    store.auditAlongside = false;
    const { claims, events } = await book(store);
    await expect(claims.claim(input('a'))).rejects.toMatchObject({ code: 'store_write_failed' });
    expect(claims.get('a')).toBeNull();
    expect(claims.isInflight('a')).toBe(false);
    expect(events).toEqual([]);
  });

  it('a claim whose write fails with the audit alongside leaves no record and says vm.failed after vm.claimed', async () => {
    const { claims, events } = await book(new FailingStore());
    await expect(claims.claim(input('a'))).rejects.toMatchObject({ code: 'store_write_failed' });
    expect(claims.get('a')).toBeNull();
    expect(claims.isInflight('a')).toBe(false);
    expect(claims.state().idempotency).toEqual({});
    expect(events).toEqual(['vm.claimed', 'vm.failed']);
  });

  it('a guest readiness change emits vm.guest once; new addresses are stored quietly; a silent node clears guest', async () => {
    const { claims, events, store } = await book();
    await claims.claim(input('g', { idempotency: undefined as never }));
    await claims.markRunning('g', 'r', { guest: { state: 'booting' } });
    claims.finish('g');
    expect(claims.get('g')?.guest).toEqual({ state: 'booting' });
    events.length = 0;
    const network = {
      mac: '52:54:00:aa:bb:cc',
      addresses: ['10.0.2.15'],
      addresses_source: 'agent' as const,
      ssh: null,
    };
    const ready = { ...report('g', 'running'), guest: { state: 'ready' as const }, network };
    expect(await claims.reconcile({ id: 'n1' }, [ready])).toEqual(['g:reach', 'g:guest']);
    expect(events).toEqual(['vm.guest']);
    expect(claims.get('g')).toMatchObject({ state: 'running', guest: { state: 'ready' }, network });
    const writes = store.writes;
    expect(await claims.reconcile({ id: 'n1' }, [ready])).toEqual([]);
    expect(store.writes).toBe(writes);
    // a node that cannot ask guests reports none: the record stops claiming a state nobody follows
    expect(await claims.reconcile({ id: 'n1' }, [{ ...ready, guest: undefined }])).toEqual(['g:reach']);
    expect(claims.get('g')?.guest).toBeUndefined();
    expect(events).toEqual(['vm.guest']);
  });

  it('node reports emit reported, lost and adopted once each; a lost VM stays lost without a rewrite', async () => {
    const { claims, events, store } = await book();
    for (const id of ['a', 'b', 'c']) {
      await claims.claim(input(id, { idempotency: undefined as never }));
      await claims.markRunning(id, 'r');
      claims.finish(id);
    }
    events.length = 0;
    const changes = await claims.reconcile({ id: 'n1' }, [
      report('a', 'stopped'),
      report('b', 'running'),
      report('z', 'running'),
    ]);
    expect(changes.sort()).toEqual(['a:stopped', 'c:lost', 'z:adopted']);
    expect(events.sort()).toEqual(['vm.adopted', 'vm.lost', 'vm.reported']);
    const writes = store.writes;
    expect(
      await claims.reconcile({ id: 'n1' }, [
        report('a', 'stopped'),
        report('b', 'running'),
        report('z', 'running'),
      ]),
    ).toEqual([]);
    expect(store.writes).toBe(writes);
  });

  it('release emits failed then released and frees the idempotency key; get ignores prototype keys', async () => {
    const { claims, events } = await book();
    await claims.claim(input('a'));
    await claims.release('a', 'spawn_failed', 'r1');
    expect(events.slice(-2)).toEqual(['vm.failed', 'vm.released']);
    expect(claims.state().vms).toEqual({});
    expect(claims.state().idempotency).toEqual({});
    for (const id of ['constructor', '__proto__', 'toString']) expect(claims.get(id)).toBeNull();
  });
});
