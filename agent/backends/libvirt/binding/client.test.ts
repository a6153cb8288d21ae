import { afterEach, describe, expect, it } from 'vitest';
import { LibvirtCallFailure } from './callFailure.js';
import { LibvirtClient } from './client.js';
import { LibvirtError } from './errors.js';
import { SerialQueue } from './queue.js';
import type { OpHandlers, Session } from './session.js';

// Stand-in operations (no libvirt): the client's own behaviour on answers, failures, silence and close.
// The session is never read by these handlers, so an empty one stands in for a loaded libvirt.
const SESSION = { sym: {}, conn: null } as unknown as Session;
const never = new Promise<never>(() => {});

function handlers(overrides: Partial<OpHandlers>): OpHandlers {
  return overrides as OpHandlers;
}

const clients: LibvirtClient<Session>[] = [];
function client(
  ops: Partial<OpHandlers>,
  timeoutMs = 2_000,
  queue = new SerialQueue(),
): LibvirtClient<Session> {
  const c = new LibvirtClient({ timeoutMs, handlers: handlers(ops), session: SESSION, queue });
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.terminate()));
});

describe('LibvirtClient', () => {
  it('resolves with the operation result', async () => {
    const c = client({ capabilities: async () => '<capabilities/>' });
    await expect(c.request('capabilities', {}, 'read host capabilities')).resolves.toBe('<capabilities/>');
  });

  it('rejects a libvirt failure as LibvirtError with the action in the message', async () => {
    const c = client({
      start: async () => {
        throw new LibvirtCallFailure('virDomainCreate', 42, 12, 'Domain not found');
      },
    });
    const err = await c.request('start', { name: 'web-1' }, 'start domain "web-1"').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: 'domain_not_found', libvirtCode: 42, domain: 12, op: 'start' });
    expect((err as LibvirtError).toJSON()).toMatchObject({ symbol: 'virDomainCreate' });
    expect((err as LibvirtError).message).toBe('Cannot start domain "web-1": Domain not found');
  });

  it('rejects a bug in an operation as libvirt_internal, not as a libvirt code', async () => {
    const c = client({
      nodeInfo: async () => {
        throw new TypeError('cannot read model');
      },
    });
    await expect(c.request('nodeInfo', {}, 'read node info')).rejects.toMatchObject({
      code: 'libvirt_internal',
      libvirtCode: 0,
    });
  });

  it('rejects with libvirt_timeout (retryable) when the operation does not finish in time', async () => {
    const err = await client({ listDomains: () => never }, 50)
      .request('listDomains', {}, 'list domains')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'libvirt_timeout', retryable: true, libvirtCode: 0 });
  });

  it('never runs a request that timed out while it waited behind a hung one', async () => {
    const ran: string[] = [];
    let release = () => {};
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const c = client(
      {
        listDomains: async () => {
          ran.push('listDomains');
          await hung;
          return [];
        },
        destroy: async () => {
          ran.push('destroy');
          return null;
        },
      },
      50,
    );
    const first = c.request('listDomains', {}, 'list domains').catch((e: unknown) => e);
    await expect(c.request('destroy', { name: 'a' }, 'destroy')).rejects.toMatchObject({
      code: 'libvirt_timeout',
    });
    release();
    await first;
    await c.request('listDomains', {}, 'list domains').catch(() => undefined);
    expect(ran).toEqual(['listDomains', 'listDomains']);
  });

  it('rejects pending and later requests with libvirt_closed after terminate', async () => {
    const c = client({ listDomains: () => never, capabilities: async () => '<capabilities/>' });
    const pending = c.request('listDomains', {}, 'list domains');
    await c.terminate();
    await expect(pending).rejects.toMatchObject({ code: 'libvirt_closed' });
    await expect(c.request('capabilities', {}, 'read host capabilities')).rejects.toMatchObject({
      code: 'libvirt_closed',
    });
  });
});

describe('SerialQueue', () => {
  it('runs jobs one at a time, in order, past a failing one', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let running = 0;
    const job =
      (name: string, ms: number, fail = false) =>
      async () => {
        running++;
        log.push(`start ${name} (${running} running)`);
        await new Promise((r) => setTimeout(r, ms));
        running--;
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      q.run(job('a', 20)),
      q.run(job('b', 1, true)),
      q.run(job('c', 5)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual([
      'start a (1 running)',
      'end a',
      'start b (1 running)',
      'end b',
      'start c (1 running)',
      'end c',
    ]);
    expect(q.waiting).toBe(0);
  });
});
