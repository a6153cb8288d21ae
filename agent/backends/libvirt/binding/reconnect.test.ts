import { describe, expect, it } from 'vitest';
import { LibvirtError } from './errors.js';
import { isConnectionLost, ReconnectingClient } from './reconnect.js';
import type { LibvirtClient } from './client.js';

const err = (libvirtCode: number, domain: number, message: string) =>
  new LibvirtError(
    { op: 'listDomains', symbol: 'virConnectListAllDomains', libvirtCode, domain, message },
    { action: 'list domains' },
  );

describe('isConnectionLost', () => {
  it.each([
    [err(1, 7, 'internal error: client socket is closed'), true],
    [err(38, 7, 'Cannot recv data: Connection reset by peer'), true],
    [err(1, 0, 'End of file while reading data: Input/output error'), true],
    [err(42, 10, 'Domain not found'), false],
    [err(55, 10, 'Requested operation is not valid: domain is not running'), false],
    [new Error('client socket is closed'), false],
  ])('%s → %s', (e, want) => {
    expect(isConnectionLost(e)).toBe(want);
  });
});

describe('ReconnectingClient', () => {
  it('reopens the connection once and retries the call when libvirtd went away', async () => {
    const calls: string[] = [];
    let broken = true;
    const inner = {
      request: async (op: string) => {
        calls.push(op);
        if (op === 'listDomains' && broken) throw err(1, 7, 'internal error: client socket is closed');
        if (op === 'open') broken = false;
        return op === 'listDomains' ? [] : null;
      },
    } as unknown as LibvirtClient;
    await expect(
      new ReconnectingClient(inner, 'qemu:///system').request('listDomains', {}, 'list'),
    ).resolves.toEqual([]);
    expect(calls).toEqual(['listDomains', 'close', 'open', 'listDomains']);
  });

  it('passes other errors through without reconnecting', async () => {
    const calls: string[] = [];
    const inner = {
      request: async (op: string) => {
        calls.push(op);
        throw err(42, 10, 'Domain not found');
      },
    } as unknown as LibvirtClient;
    await expect(
      new ReconnectingClient(inner, 'qemu:///system').request('lookupDomain', { name: 'x' }, 'look up'),
    ).rejects.toMatchObject({ libvirtCode: 42 });
    expect(calls).toEqual(['lookupDomain']);
  });

  it('reopens once when several calls lose the connection at the same time', async () => {
    const calls: string[] = [];
    let broken = true;
    const inner = {
      request: async (op: string) => {
        calls.push(op);
        await new Promise((r) => setTimeout(r, 5));
        if (op === 'listDomains' && broken) throw err(1, 7, 'internal error: client socket is closed');
        if (op === 'open') broken = false;
        return op === 'listDomains' ? [] : null;
      },
    } as unknown as LibvirtClient;
    const client = new ReconnectingClient(inner, 'qemu:///system');
    await Promise.all([client.request('listDomains', {}, 'a'), client.request('listDomains', {}, 'b')]);
    expect(calls.filter((c) => c === 'open')).toHaveLength(1);
    expect(calls.filter((c) => c === 'close')).toHaveLength(1);
  });
});
