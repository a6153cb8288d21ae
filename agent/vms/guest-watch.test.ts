import { describe, expect, it } from 'vitest';
import { VmpoolError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { GuestAddresses, GuestQueries } from '../backends/backend.js';
import { GuestWatcher, type GuestStatus } from './guest-watch.js';

// The watcher's steps against a scripted guest (the real guest agent path runs in
// test/real-guest.test.ts on qemu:///system; a unit cannot boot a guest).

interface Script {
  /** looks before the agent answers a ping */
  agentAfter?: number;
  /** exit codes programExit returns in turn (null = still running); a thrown value simulates a lost agent */
  exits?: (number | null | 'lost')[];
  addresses?: GuestAddresses | null;
  unsupported?: boolean;
}

function scripted(s: Script) {
  const calls: string[] = [];
  let pings = 0;
  const exits = [...(s.exits ?? [0])];
  const guest: GuestQueries = {
    async agentAlive() {
      calls.push('ping');
      if (s.unsupported) throw new VmpoolError('guest_agent_unsupported', 'no agent access');
      return ++pings > (s.agentAfter ?? 0);
    },
    async startProgram(_name, path, args) {
      calls.push(`exec ${path} ${args.join(' ')}`);
      return 42;
    },
    async programExit() {
      calls.push('status');
      const next = exits.length > 1 ? exits.shift()! : exits[0]!;
      if (next === 'lost') throw new Error('agent gone');
      return next === null ? null : { code: next, output: 'status: done' };
    },
    async addresses() {
      calls.push('addresses');
      return s.addresses ?? null;
    },
  };
  return { guest, calls };
}

const log = createLogger({ component: 'agent', level: 'error', sink: () => undefined });
const vm = { vm_id: 'vm-1', name: 'dom-1', mac: '52:54:00:01:02:03' };

async function settle(w: GuestWatcher, id = 'vm-1', ms = 2000): Promise<GuestStatus | undefined> {
  const end = Date.now() + ms;
  while (w.status(id)?.state === 'booting' && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return w.status(id);
}

describe('GuestWatcher', () => {
  it('is booting until the agent answers and cloud-init status --wait exits 0, then ready with the agent addresses', async () => {
    const found: GuestAddresses = { source: 'agent', addresses: ['10.0.2.15'] };
    const { guest, calls } = scripted({ agentAfter: 2, exits: [null, null, 0], addresses: found });
    const w = new GuestWatcher({ guest, log, intervalMs: 5 });
    void w.watch(vm);
    expect(w.status('vm-1')).toEqual({ state: 'booting' });
    expect(await settle(w)).toEqual({ state: 'ready', addresses: found });
    expect(calls.filter((c) => c.startsWith('exec'))).toEqual(['exec cloud-init status --wait --long']);
    expect(calls.filter((c) => c === 'ping')).toHaveLength(3);
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls.length).toBe(n); // a ready guest is not asked again
  });

  it('reports cloud_init_failed when cloud-init exits 1, and accepts 2 (done with recoverable errors)', async () => {
    const failed = new GuestWatcher({ guest: scripted({ exits: [1] }).guest, log, intervalMs: 5 });
    void failed.watch(vm);
    expect(await settle(failed)).toEqual({ state: 'unready', code: 'cloud_init_failed' });
    const degraded = new GuestWatcher({ guest: scripted({ exits: [2] }).guest, log, intervalMs: 5 });
    void degraded.watch(vm);
    expect((await settle(degraded))?.state).toBe('ready');
  });

  it('is unready with guest_ready_timeout when the agent never answers within the bound', async () => {
    const { guest, calls } = scripted({ agentAfter: Number.POSITIVE_INFINITY });
    const w = new GuestWatcher({ guest, log, intervalMs: 5, timeoutMs: 60 });
    void w.watch(vm);
    expect(await settle(w)).toEqual({ state: 'unready', code: 'guest_ready_timeout' });
    expect(calls).not.toContain('status');
  });

  it('starts over from the ping when the agent goes away mid-wait (a restart loses the pid)', async () => {
    const { guest, calls } = scripted({ exits: [null, 'lost', 0] });
    const w = new GuestWatcher({ guest, log, intervalMs: 5 });
    void w.watch(vm);
    expect((await settle(w))?.state).toBe('ready');
    expect(calls.filter((c) => c.startsWith('exec'))).toHaveLength(2);
  });

  it('stops watching everything once the backend says it has no guest agent access', async () => {
    const { guest, calls } = scripted({ unsupported: true });
    const w = new GuestWatcher({ guest, log, intervalMs: 5 });
    // the first look answers before watch() resolves: no `booting` that nothing could end
    await w.watch(vm);
    expect(w.status('vm-1')).toBeUndefined();
    await w.watch({ ...vm, vm_id: 'vm-2' });
    expect(w.status('vm-2')).toBeUndefined();
    expect(calls.filter((c) => c === 'ping')).toHaveLength(1);
  });

  it('forget stops the looks and drops the status', async () => {
    const { guest, calls } = scripted({ agentAfter: Number.POSITIVE_INFINITY });
    const w = new GuestWatcher({ guest, log, intervalMs: 5 });
    void w.watch(vm);
    await new Promise((r) => setTimeout(r, 20));
    w.forget('vm-1');
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls.length).toBe(n);
    expect(w.status('vm-1')).toBeUndefined();
  });
});
