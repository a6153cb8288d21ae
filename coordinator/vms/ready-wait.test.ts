import { describe, expect, it } from 'vitest';
import type { VmRecord } from '../store/index.js';
import { waitGuestReady } from './ready-wait.js';

const base: VmRecord = {
  id: 'v1',
  tenant: 't1',
  name: 'web',
  vmid: 100,
  tags: [],
  request: null,
  state: 'running',
  node_id: 'n1',
  placement: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

describe('waitGuestReady', () => {
  it('answers with the record once the node reports the guest ready', async () => {
    let rec: VmRecord = { ...base, guest: { state: 'booting' } };
    setTimeout(() => {
      rec = { ...rec, guest: { state: 'ready' } };
    }, 30);
    const got = await waitGuestReady(() => rec, rec, { timeoutMs: 2000, pollMs: 5 });
    expect(got.guest).toEqual({ state: 'ready' });
  });

  it('is 504 guest_not_ready naming the VM when the bound passes, the guest is unready, or nobody follows it', async () => {
    const booting = { ...base, guest: { state: 'booting' as const } };
    const t0 = Date.now();
    await expect(waitGuestReady(() => booting, booting, { timeoutMs: 50, pollMs: 5 })).rejects.toMatchObject({
      code: 'guest_not_ready',
      details: { vm_id: 'v1', guest: { state: 'booting' } },
    });
    expect(Date.now() - t0).toBeLessThan(1000);
    const unready = { ...base, guest: { state: 'unready' as const, code: 'cloud_init_failed' as const } };
    await expect(waitGuestReady(() => unready, unready, { timeoutMs: 5000 })).rejects.toThrow(
      /cloud_init_failed/,
    );
    await expect(waitGuestReady(() => base, base, { timeoutMs: 5000 })).rejects.toThrow(/cannot ask guests/);
    await expect(waitGuestReady(() => undefined, base, { timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
