import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeContract } from './contract.js';
import { FsyncJsonFile } from './fsync-json-file.js';
import { LowdbStore } from './lowdb-store.js';
import { FailingStore, MemoryStore } from './memory-store.js';
import type { StoreState } from './types.js';

const root = await mkdtemp(join(tmpdir(), 'vmpool-store-test-'));
let n = 0;
afterAll(() => rm(root, { recursive: true, force: true }));

/** FlakyAdapter wraps the real file adapter so the contract can make lowdb writes fail. */
class FlakyAdapter extends FsyncJsonFile<StoreState> {
  fail = false;
  override write(data: StoreState): Promise<void> {
    return this.fail ? Promise.reject(new Error('EIO: injected')) : super.write(data);
  }
}

storeContract('lowdb file', async () => {
  const path = join(root, `state-${++n}.json`);
  const adapter = new FlakyAdapter(path);
  return {
    store: new LowdbStore(path, { adapter }),
    failWrites: (fail) => {
      adapter.fail = fail;
    },
    reopen: () => new LowdbStore(path),
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
  it('writes one JSON document with mode 0600 and no temp file left', async () => {
    const path = join(root, 'mode.json');
    const store = new LowdbStore(path);
    await store.load();
    await store.update((d) => {
      d.idempotency['t:k'] = { vm_id: 'vm-1', request_hash: 'h', created_at: 'now' };
    });
    expect(JSON.parse(await readFile(path, 'utf8')).idempotency['t:k'].vm_id).toBe('vm-1');
    const { stat, readdir } = await import('node:fs/promises');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(root)).filter((f) => f.includes('mode.json.tmp'))).toEqual([]);
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
    const slowFailing = {
      read: () => Promise.resolve(null),
      write: () => new Promise<void>((_resolve, reject) => (failWrite = reject)),
    };
    const store = new LowdbStore('/nonexistent/slow.json', { adapter: slowFailing });
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
