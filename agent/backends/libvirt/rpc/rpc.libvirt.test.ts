import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibvirtError } from '../binding/errors.js';
import { type LibvirtHypervisor, openLibvirt } from '../binding/libvirtHypervisor.js';
import { closeSession, openSession, type RpcSession } from './session.js';
import { daemonTarget, LIBVIRTD_SOCKET } from './target.js';

// The RPC client against the real libvirtd (its test driver, through the daemon's socket), next to
// libvirt.so's own remote driver on the same URI: errors, a lost connection and keepalive.

let dir: string;
let proxy: Server;
let proxyPath: string;
const piped: Socket[] = [];
let accepted = 0;

// A unix-socket proxy in front of libvirtd, so a test can cut every client connection (as a libvirtd
// restart does) without touching the daemon other tests share.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpool-rpc-libvirtd-'));
  proxyPath = join(dir, 'proxy-sock');
  proxy = createServer((client) => {
    accepted++;
    const upstream = connect(LIBVIRTD_SOCKET);
    client.pipe(upstream).pipe(client);
    for (const s of [client, upstream]) s.on('error', () => {});
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    piped.push(client, upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(proxyPath, resolve));
});

afterAll(async () => {
  for (const s of piped) s.destroy();
  await new Promise((resolve) => proxy.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function cutEveryConnection(): void {
  for (const s of piped.splice(0)) s.destroy();
}

describe.each(['rpc', 'koffi'] as const)('through a proxy to libvirtd, the %s backend', (backend) => {
  let hv: LibvirtHypervisor;

  beforeAll(async () => {
    hv = await openLibvirt(`test+unix:///default?socket=${proxyPath}`, { backend, pinSource: 'xml' });
  });

  afterAll(async () => {
    await hv.close();
  });

  it('reconnects once and retries when the daemon connection is lost', async () => {
    expect((await hv.listDomains()).map((d) => d.name)).toContain('test');
    const before = accepted;
    cutEveryConnection();
    await new Promise((r) => setTimeout(r, 50));
    expect((await hv.lookupDomain('test'))?.state).toBe('running');
    expect(accepted).toBe(before + 1);
  });
});

describe('the RPC client and libvirt.so on test+unix:///default', () => {
  it('give the same LibvirtError for a missing domain and for bad XML', async () => {
    const rpc = await openLibvirt('test+unix:///default', { backend: 'rpc' });
    const koffi = await openLibvirt('test+unix:///default', { backend: 'koffi' });
    try {
      for (const call of [
        (hv: LibvirtHypervisor) => hv.requireDomain('vmpool-rpc-missing'),
        (hv: LibvirtHypervisor) => hv.defineXml('<domain'),
      ]) {
        const a = await call(rpc).catch((e: unknown) => e);
        const b = await call(koffi).catch((e: unknown) => e);
        expect(a).toBeInstanceOf(LibvirtError);
        expect((a as LibvirtError).toJSON()).toEqual((b as LibvirtError).toJSON());
        expect((a as LibvirtError).libvirtMessage).toBe((b as LibvirtError).libvirtMessage);
      }
      expect(await rpc.requireDomain('test')).toEqual(await koffi.requireDomain('test'));
    } finally {
      await rpc.close();
      await koffi.close();
    }
  });
});

describe('keepalive', () => {
  it("answers libvirtd's PINGs once asked for them, and the connection keeps working", async () => {
    const target = daemonTarget('test+unix:///default');
    if (target === null) throw new Error('not a daemon URI');
    const s: RpcSession = { target, timeoutMs: 5_000, keepalive: true, conn: null };
    await openSession(s);
    try {
      // libvirtd's keepalive_interval is 5 s by default
      await expect
        .poll(() => s.conn?.pingsAnswered ?? 0, { timeout: 15_000, interval: 200 })
        .toBeGreaterThan(0);
      expect(s.conn?.closed).toBe(false);
    } finally {
      await closeSession(s);
    }
  });
});
