import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { LibvirtError } from './errors.js';
import { LibvirtWorkerClient } from './workerClient.js';

// Stand-in workers (no libvirt): the client's own behaviour on answers, silence and crashes.
const ECHO = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (req) => parentPort.postMessage(req.op === 'capabilities'
  ? { id: req.id, ok: true, value: '<capabilities/>' }
  : { id: req.id, ok: false, error: { kind: 'libvirt', op: req.op, symbol: 'virDomainCreate', libvirtCode: 42, domain: 12, message: 'Domain not found' } }));`;
const SILENT = `require('node:worker_threads').parentPort.on('message', () => {});`;
const CRASHING = `require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });`;

const clients: LibvirtWorkerClient[] = [];
function client(code: string, timeoutMs = 2_000): LibvirtWorkerClient {
  const c = new LibvirtWorkerClient({ timeoutMs, worker: new Worker(code, { eval: true }) });
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.terminate()));
});

describe('LibvirtWorkerClient', () => {
  it('resolves with the worker answer for the matching request id', async () => {
    await expect(client(ECHO).request('capabilities', {}, 'read host capabilities')).resolves.toBe(
      '<capabilities/>',
    );
  });

  it('rejects a libvirt failure as LibvirtError with the action in the message', async () => {
    const err = await client(ECHO)
      .request('start', { name: 'web-1' }, 'start domain "web-1"')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: 'domain_not_found', libvirtCode: 42, op: 'start' });
    expect((err as LibvirtError).message).toBe('Cannot start domain "web-1": Domain not found');
  });

  it('rejects with libvirt_timeout (retryable) when the worker does not answer in time', async () => {
    const err = await client(SILENT, 50)
      .request('listDomains', {}, 'list domains')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'libvirt_timeout', retryable: true, libvirtCode: 0 });
  });

  it('rejects pending and later requests with libvirt_closed when the worker crashes', async () => {
    const c = client(CRASHING);
    await expect(c.request('listDomains', {}, 'list domains')).rejects.toMatchObject({
      code: 'libvirt_closed',
    });
    await expect(c.request('listDomains', {}, 'list domains')).rejects.toMatchObject({
      code: 'libvirt_closed',
    });
  });

  it('rejects requests after terminate with libvirt_closed', async () => {
    const c = client(ECHO);
    await c.terminate();
    await expect(c.request('capabilities', {}, 'read host capabilities')).rejects.toMatchObject({
      code: 'libvirt_closed',
    });
  });
});
