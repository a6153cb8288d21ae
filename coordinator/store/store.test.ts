import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeContract } from './contract.js';
import { LowdbStore } from './lowdb-store.js';
import { FailingStore, MemoryStore } from './memory-store.js';

const root = await mkdtemp(join(tmpdir(), 'vmpool-store-test-'));
let n = 0;
afterAll(() => rm(root, { recursive: true, force: true }));

storeContract('lowdb file (snapshot + journal)', async () => {
  const path = join(root, `state-${++n}.json`);
  let fail = false;
  const beforeAppend = () => {
    if (fail) throw new Error('EIO: injected');
  };
  return {
    store: new LowdbStore(path, { beforeAppend }),
    failWrites: (f) => {
      fail = f;
    },
    reopen: () => new LowdbStore(path),
  };
});

storeContract('lowdb file compacting after every write', async () => {
  const path = join(root, `state-${++n}.json`);
  let fail = false;
  const beforeAppend = () => {
    if (fail) throw new Error('EIO: injected');
  };
  return {
    store: new LowdbStore(path, { beforeAppend, compactMinBytes: 1, compactRatio: 0 }),
    failWrites: (f) => {
      fail = f;
    },
    reopen: () => new LowdbStore(path, { compactMinBytes: 1, compactRatio: 0 }),
  };
});

storeContract('memory', async () => {
  const store = new MemoryStore();
  return {
    store,
    failWrites: (fail) => {
      store.failWrites = fail;
    },
    reopen: () => store.reopen(),
  };
});

describe('LowdbStore file handling', () => {
  it('compacts to one JSON snapshot with mode 0600, no temp file and no old journal left', async () => {
    const dir = await mkdtemp(join(root, 'mode-'));
    const path = join(dir, 'mode.json');
    const store = new LowdbStore(path);
    await store.load();
    await store.update((d) => {
      d.idempotency['t:k'] = { vm_id: 'vm-1', request_hash: 'h', created_at: 'now' };
    });
    const { stat, readdir } = await import('node:fs/promises');
    expect((await stat(`${path}.journal.1`)).mode & 0o777).toBe(0o600);
    await store.compact();
    const snapshot = JSON.parse(await readFile(path, 'utf8'));
    expect(snapshot.idempotency['t:k'].vm_id).toBe('vm-1');
    expect(snapshot.journal_seq).toBe(1);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['mode.json', 'mode.json.journal.2']);
    await store.close();
  });

  it.each([
    ['invalid JSON', '{"version":1,'],
    ['wrong version', '{"version":2,"tenants":{},"vms":{},"idempotency":{}}'],
    ['missing maps', '{"version":1}'],
  ])('load refuses %s with store_corrupt', async (_what, text) => {
    const path = join(root, `corrupt-${++n}.json`);
    await writeFile(path, text);
    await expect(new LowdbStore(path).load()).rejects.toMatchObject({ code: 'store_corrupt' });
  });
});

describe('FailingStore', () => {
  it('rejects every update with store_write_failed and shows none of the changes', async () => {
    const store = new FailingStore();
    await store.load();
    const results = await Promise.allSettled([
      store.update((d) => {
        d.tenants.a = {
          id: 'a',
          name: 'a',
          token_hash: '',
          quota: { vcpus: 1, memory_mb: 1, vms: 1 },
          created_at: '',
        };
      }),
      store.update((d) => {
        d.idempotency['a:k'] = { vm_id: 'v', request_hash: 'h', created_at: '' };
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(results.map((r) => (r.status === 'rejected' ? r.reason.code : null))).toEqual([
      'store_write_failed',
      'store_write_failed',
    ]);
    expect(store.read()).toEqual({ version: 1, tenants: {}, vms: {}, idempotency: {} });
    expect(store.writes).toBe(0);
  });

  it('also rejects the batch queued behind a failing write, which was built on top of it', async () => {
    let failWrite: (err: Error) => void = () => {};
    const beforeAppend = () => new Promise<void>((_resolve, reject) => (failWrite = reject));
    const store = new LowdbStore(join(root, `slow-${++n}.json`), { beforeAppend });
    await store.load();
    const first = store.update((d) => {
      d.idempotency['t:1'] = { vm_id: '1', request_hash: 'h', created_at: '' };
    });
    await new Promise((r) => setImmediate(r));
    const second = store.update((d) => {
      d.idempotency['t:2'] = { vm_id: '2', request_hash: 'h', created_at: '' };
    });
    expect(Object.keys(store.read().idempotency)).toEqual(['t:1', 't:2']);
    failWrite(new Error('EIO: injected'));
    await expect(first).rejects.toMatchObject({ code: 'store_write_failed' });
    await expect(second).rejects.toMatchObject({ code: 'store_write_failed' });
    expect(store.read().idempotency).toEqual({});
  });
});
