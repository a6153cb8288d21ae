import { describe, expect, it } from 'vitest';
import type { VmReport } from '../../shared/protocol.js';
import type { NodeEntry } from '../registry/registry.js';
import { emptyState, type StoreState, type VmRecord } from '../store/types.js';
import { ADOPTED_TENANT, describeChange, reconcileNode } from './reconcile.js';

const node = { id: 'n1' } as NodeEntry;
const now = '2026-01-01T00:00:00.000Z';
const vm = (id: string, state: VmRecord['state']): VmRecord => ({
  id,
  tenant: 't1',
  name: id,
  vmid: 100 + id.length,
  tags: [],
  request: null,
  state,
  node_id: 'n1',
  placement: {
    numa_node: 0,
    vcpu_pins: [0],
    emulator_cpuset: [],
    memory_nodeset: '0',
    cpu_policy: 'dedicated',
    memory_mb: 128,
    vcpu_count: 1,
    pass: 1,
  },
  created_at: now,
  updated_at: now,
});
const report = (vm_id: string, state: VmReport['state'], extra: Partial<VmReport> = {}): VmReport => ({
  vm_id,
  name: vm_id,
  state,
  numa_node: 0,
  vcpu_pins: [2],
  emulator_cpuset: [],
  memory_mb: 64,
  vcpu_count: 1,
  cpu_policy: 'dedicated',
  domain_uuid: null,
  ...extra,
});
const stateWith = (...vms: VmRecord[]): StoreState => ({
  ...emptyState(),
  vms: Object.fromEntries(vms.map((v) => [v.id, v])),
});
const run = (s: StoreState, reports: VmReport[], full: boolean, inflight: string[] = []) =>
  reconcileNode(s, node, reports, Object.keys(s.vms), {
    full,
    inflight: new Set(inflight),
    now,
    apply: true,
  }).map(describeChange);

describe('reconcileNode', () => {
  it('on hello: a made VM missing from the agent is lost, a half-made one is released', () => {
    const s = stateWith(vm('made', 'running'), vm('half', 'creating'));
    expect(run(s, [], true).sort()).toEqual(['half:released', 'made:lost']);
    expect(run(s, [], true)).toEqual([]); // lost stays lost: no second change, no rewrite
    expect(s.vms.made?.state).toBe('lost');
    expect(s.vms.half).toBeUndefined();
  });

  it('on heartbeat: missing VMs are left alone (a claim may not have reached the agent yet)', () => {
    const s = stateWith(vm('new', 'creating'));
    expect(run(s, [], false)).toEqual([]);
    expect(s.vms.new?.state).toBe('creating');
  });

  it('updates states from reports and skips VMs this coordinator is spawning right now', () => {
    const s = stateWith(vm('a', 'creating'), vm('b', 'creating'));
    run(s, [report('a', 'running'), report('b', 'running')], true, ['b']);
    expect([s.vms.a?.state, s.vms.b?.state]).toEqual(['running', 'creating']);
  });

  it('quarantines an unknown VM as foreign with its own pins in the admin-only namespace, no VMID, whatever the node claims', () => {
    const s = stateWith();
    run(s, [report('x', 'running', { tenant: 't9', vmid: 5000 }), report('y', 'stopped')], false);
    expect(s.vms.x).toMatchObject({
      tenant: ADOPTED_TENANT,
      vmid: 0,
      node_id: 'n1',
      tags: ['foreign', 'reported-tenant=t9', 'reported-vmid=5000'],
      placement: { vcpu_pins: [2] },
    });
    expect(s.vms.y?.tenant).toBe(ADOPTED_TENANT);
  });

  it('ignores VMs the index lists that now live on another node or are gone', () => {
    const moved = { ...vm('moved', 'running'), node_id: 'n2' };
    const s = stateWith(moved);
    const opts = { full: true, inflight: new Set<string>(), now, apply: true };
    expect(reconcileNode(s, node, [], ['moved', 'ghost'], opts)).toEqual([]);
    expect(s.vms.moved?.state).toBe('running');
  });

  it('changes nothing when applying is off (the cheap check before a write)', () => {
    const s = stateWith(vm('a', 'creating'));
    const before = structuredClone(s);
    const changes = reconcileNode(
      s,
      node,
      [report('a', 'running'), report('z', 'running')],
      Object.keys(s.vms),
      {
        full: true,
        inflight: new Set(),
        now,
        apply: false,
      },
    );
    expect(changes.length).toBe(2);
    expect(s).toEqual(before);
  });
});
