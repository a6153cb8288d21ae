import { describe, expect, it } from 'vitest';
import type { CoordinatorEvent } from '../../shared/events.js';
import { createLogger, journalFields, type LogEntry } from '../../shared/log.js';
import type { VmReport } from '../../shared/protocol.js';
import { EventBus } from '../events/bus.js';
import { logEvents } from '../events/log-subscriber.js';
import { claimsByNode } from '../placer/fleet-view.js';
import type { NodeEntry } from '../registry/registry.js';
import { MemoryStore } from '../store/index.js';
import { viewVm } from '../vms/view.js';
import { ClaimBook } from './claim-book.js';
import { claimInput } from './testing/claims.js';
import { VmStatsTable } from '../registry/vm-stats.js';

// A node reports a VM paused (an operator's suspend, or QEMU stopped it on ENOSPC): the claim book
// records it with its reason, emits vm.reported, the VM keeps its claim, and an I/O error is logged as err.

const report = (state: VmReport['state'], state_reason?: string): VmReport => ({
  vm_id: 'p1',
  name: 'web',
  tenant: 't1',
  vmid: 101,
  state,
  ...(state_reason ? { state_reason } : {}),
  numa_node: 0,
  vcpu_pins: [0, 36],
  emulator_cpuset: [16],
  memory_mb: 512,
  vcpu_count: 2,
  cpu_policy: 'dedicated',
  domain_uuid: null,
});

async function pausedBook() {
  const store = new MemoryStore();
  await store.load();
  const bus = new EventBus();
  const events: CoordinatorEvent[] = [];
  bus.subscribe((e) => void events.push(e));
  const lines: LogEntry[] = [];
  logEvents(bus, createLogger({ component: 'coordinator', level: 'debug', sink: (e) => lines.push(e) }));
  const claims = new ClaimBook({ store, bus });
  await claims.claim(claimInput('p1', { req: { ...claimInput('p1').req, name: 'web' }, vmid: 101 }));
  await claims.markRunning('p1', 'r1');
  claims.finish('p1');
  events.length = 0;
  lines.length = 0;
  return { store, claims, events, lines };
}

describe('ClaimBook reconcile of a paused VM', () => {
  it('records paused with its reason, emits vm.reported, and keeps the VM’s pins and memory claimed', async () => {
    const { store, claims, events, lines } = await pausedBook();
    expect(await claims.reconcile({ id: 'n1' }, [report('paused', 'user')])).toEqual(['p1:paused']);
    expect(claims.get('p1')).toMatchObject({ state: 'paused', state_reason: 'user' });
    expect(
      events.map((e) => [e.type, 'state' in e ? e.state : null, 'reason' in e ? e.reason : null]),
    ).toEqual([['vm.reported', 'paused', 'user']]);
    // an operator's pause is news, not an error
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['info', 'vm state reported']]);
    const held = claimsByNode(store.read()).get('n1') ?? [];
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ vm_id: 'p1', pins: [0, 36], memory_mb: 512 });

    // the same report again changes nothing and writes nothing
    const writes = store.writes;
    expect(await claims.reconcile({ id: 'n1' }, [report('paused', 'user')])).toEqual([]);
    expect(store.writes).toBe(writes);
  });

  it('logs an err line when the reason becomes ioerror, and drops the reason once it runs again', async () => {
    const { claims, events, lines } = await pausedBook();
    await claims.reconcile({ id: 'n1' }, [report('paused', 'user')]);
    lines.length = 0;
    // same state, new reason: still a change (a disk filled up while an operator had it paused)
    expect(await claims.reconcile({ id: 'n1' }, [report('paused', 'ioerror')])).toEqual(['p1:paused']);
    expect(claims.get('p1')?.state_reason).toBe('ioerror');
    const line = lines.find((l) => l.msg === 'vm paused on an I/O error');
    expect(line?.level).toBe('error');
    expect(line?.fields).toMatchObject({ vm_id: 'p1', state: 'paused', reason: 'ioerror' });
    expect(journalFields(line!).PRIORITY).toBe('3'); // journald err

    events.length = 0;
    expect(await claims.reconcile({ id: 'n1' }, [report('running')])).toEqual(['p1:running']);
    expect(claims.get('p1')?.state).toBe('running');
    expect(claims.get('p1')?.state_reason).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['vm.running']);
  });

  it('markPowered after a start that resumed it clears the reason', async () => {
    const { claims } = await pausedBook();
    await claims.reconcile({ id: 'n1' }, [report('paused', 'ioerror')]);
    const vm = await claims.markPowered('p1', { op: 'start', state: 'running', source: 'test' }, 'r2');
    expect(vm.state).toBe('running');
    expect(vm.state_reason).toBeUndefined();
  });
});

describe('viewVm of a paused VM', () => {
  it('shows paused with its reason while the node is up, and unknown without a reason when it is down', async () => {
    const { claims } = await pausedBook();
    await claims.reconcile({ id: 'n1' }, [report('paused', 'ioerror')]);
    const vm = claims.get('p1')!;
    const up = { node: () => ({ state: 'ready', stats: new VmStatsTable() }) as unknown as NodeEntry };
    const down = { node: () => ({ state: 'down', stats: new VmStatsTable() }) as unknown as NodeEntry };
    expect(viewVm(vm, up)).toMatchObject({ state: 'paused', state_reason: 'ioerror' });
    const shown = viewVm(vm, down);
    expect(shown.state).toBe('unknown');
    expect(shown.state_reason).toBeUndefined();
  });
});
