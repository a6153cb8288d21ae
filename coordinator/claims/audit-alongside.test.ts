import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.js';
import { auditEvents } from '../events/audit-subscriber.js';
import { EventBus } from '../events/bus.js';
import { MemoryStore } from '../store/index.js';
import type { StoreState } from '../store/types.js';
import { ClaimBook, type ClaimInput } from './claim-book.js';
import { claimInput } from './testing/claims.js';

// The claim book with the real, fsynced audit log: a change and its audit entry are written side by
// side (auditAlongside), both durable before the claim resolves; either failing leaves no claim.

/** input is a claim without an idempotency record (only the VM record and its audit entry are written). */
const input = (id: string): ClaimInput => {
  const { idempotency: _none, ...c } = claimInput(id);
  return c;
};

/** GatedStore holds each durable write until release() — to see what is on disk meanwhile. */
class GatedStore extends MemoryStore {
  private gates: (() => void)[] = [];
  persisted = 0;
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
  protected override async persist(state: StoreState): Promise<void> {
    await new Promise<void>((r) => this.gates.push(r));
    this.persisted++;
    return super.persist(state);
  }
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(store: MemoryStore) {
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-alongside-'));
  dirs.push(dir);
  await store.load();
  const audit = await AuditLog.open(join(dir, 'audit.jsonl'), { key: Buffer.alloc(32, 7) });
  const bus = new EventBus();
  auditEvents(bus, audit);
  const events: string[] = [];
  bus.subscribe((e) => void events.push(e.type));
  return { audit, events, claims: new ClaimBook({ store, bus }) };
}

const results = async (audit: AuditLog) =>
  (await audit.list({ limit: 10 })).reverse().map((e) => `${e.vm}:${e.result}`);

describe('ClaimBook with the audit written alongside the change', () => {
  it('the audit entry is durable while the store write is still running; the claim waits for both', async () => {
    const store = new GatedStore();
    const { audit, claims } = await setup(store);
    let done = false;
    const claim = claims.claim(input('a')).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    // one durable wait, not two in a row: the entry was written before the claim's write ended
    expect(await results(audit)).toEqual(['a:claimed']);
    expect(done).toBe(false);
    store.release();
    await claim;
    expect(store.persisted).toBe(1);
    expect(claims.get('a')?.state).toBe('creating');
    const running = claims.markRunning('a', 'r1');
    await new Promise((r) => setTimeout(r, 50));
    expect(await results(audit)).toEqual(['a:claimed', 'a:running']);
    store.release();
    expect((await running).state).toBe('running');
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('a store write that fails: no record, the audit says claimed then failed, the chain verifies', async () => {
    const store = new MemoryStore();
    const { audit, claims, events } = await setup(store);
    store.failWrites = true;
    await expect(claims.claim(input('a'))).rejects.toMatchObject({ code: 'store_write_failed' });
    expect(claims.get('a')).toBeNull();
    expect(claims.isInflight('a')).toBe(false);
    expect(events).toEqual(['vm.claimed', 'vm.failed']);
    expect(await results(audit)).toEqual(['a:claimed', 'a:failed:store_write_failed']);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('an audit append that fails: the claim is undone and the caller gets the audit error', async () => {
    const store = new MemoryStore();
    const { audit, claims } = await setup(store);
    await audit.close(); // every later append fails
    await expect(claims.claim(input('a'))).rejects.toBeTruthy();
    expect(claims.get('a')).toBeNull();
    expect(claims.isInflight('a')).toBe(false);
    const reopened = store.reopen();
    await reopened.load();
    expect(Object.keys(reopened.read().vms)).toEqual([]);
  });

  it('write, then audit when the store asks for it: no entry exists before the write is durable', async () => {
    const store = new GatedStore();
    store.auditAlongside = false;
    const { audit, claims } = await setup(store);
    const claim = claims.claim(input('a'));
    await new Promise((r) => setTimeout(r, 50));
    expect(await results(audit)).toEqual([]);
    store.release();
    await claim;
    expect(await results(audit)).toEqual(['a:claimed']);
  });
});
