import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibvirtError } from './errors.js';
import { type LibvirtHypervisor, openLibvirt } from './libvirtHypervisor.js';
import { tsBootstrapScript } from './tsWorkerLoader.js';

// The process-wide libvirt queue of the koffi backend (libvirt.so in this process), with real libvirt calls: test:///default for fast ones, and a stand-in libvirtd
// socket that accepts a connection and hangs up after HANG_MS for a slow call that then fails.
const HANG_MS = 400;

let dir: string;
let server: Server;
let slowUri: string;
let hv: LibvirtHypervisor;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmpool-libvirt-queue-'));
  const socket = join(dir, 'libvirt-sock');
  server = createServer((conn) => setTimeout(() => conn.destroy(), HANG_MS));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  slowUri = `qemu+unix:///system?socket=${socket}`;
  hv = await openLibvirt('test:///default', { pinSource: 'xml' });
});

afterAll(async () => {
  await hv.close();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('libvirt queue', () => {
  it('a slow call blocks neither timers nor the event loop, and the next call waits for it', async () => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const slow = openLibvirt(slowUri, { backend: 'koffi' }).then(
      () => ({ err: null, at: performance.now() - t0 }),
      (err: unknown) => ({ err, at: performance.now() - t0 }),
    );
    // openLibvirt imports its backend first (a lazy import), so let the open reach the queue.
    await new Promise((r) => setTimeout(r, 50));
    const next = hv.lookupDomain('test').then((dom) => ({ dom, at: performance.now() - t0 }));
    const [s, n] = await Promise.all([slow, next]);
    clearInterval(interval);
    expect(s.err).toBeInstanceOf(LibvirtError);
    expect(s.err).toMatchObject({ op: 'open' });
    expect((s.err as LibvirtError).libvirtCode).toBeGreaterThan(0);
    expect(s.at).toBeGreaterThanOrEqual(HANG_MS - 50);
    expect(ticks).toBeGreaterThanOrEqual(HANG_MS / 5 / 4); // a blocked loop would tick once at most
    expect(n.dom?.name).toBe('test');
    expect(n.at).toBeGreaterThanOrEqual(s.at); // one at a time: the lookup ran after the open failed
  });

  it('maps each error to its own call when many are queued at once', async () => {
    const results = await Promise.allSettled([
      hv.lookupDomain('test'),
      hv.requireDomain('vmpool-queue-missing'),
      hv.defineXml('<domain'),
      hv.start('test'),
      hv.capabilities(),
      hv.lookupDomain('vmpool-queue-missing'),
    ]);
    const [found, missing, badXml, running, caps, absent] = results;
    expect(found).toMatchObject({ status: 'fulfilled', value: { name: 'test', state: 'running' } });
    expect(missing).toMatchObject({ status: 'rejected', reason: { libvirtCode: 42, op: 'lookupDomain' } });
    expect(badXml).toMatchObject({ status: 'rejected', reason: { op: 'defineXml' } });
    expect((badXml as PromiseRejectedResult).reason.libvirtCode).not.toBe(42);
    expect(running).toMatchObject({ status: 'rejected', reason: { libvirtCode: 1, op: 'start' } });
    expect((running as PromiseRejectedResult).reason.libvirtMessage).toMatch(/already running/);
    expect(caps).toMatchObject({ status: 'fulfilled' });
    expect(absent).toMatchObject({ status: 'fulfilled', value: null });
  });

  it('a process exiting while a call is in flight exits once the call returns, printing nothing', async () => {
    // A JS error handler would hang this exit for ever (see errorSlot.ts); the native one does not.
    const index = new URL('./libvirtHypervisor.ts', import.meta.url).href;
    const script = `import { openLibvirt } from ${JSON.stringify(index)};
      openLibvirt(${JSON.stringify(slowUri)}, { backend: 'koffi' }).catch(() => {});
      setTimeout(() => process.exit(7), 100);`;
    const entry = `data:text/javascript,${encodeURIComponent(script)}`;
    const t0 = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['-e', tsBootstrapScript(entry)], { timeout: 20_000 });
      let err = '';
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.on('exit', (c) => resolve({ code: c, stderr: err }));
    });
    expect(code).toBe(7);
    expect(stderr).toBe('');
    expect(performance.now() - t0).toBeLessThan(15_000);
  });
});
