import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { constants } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openFlagsOf } from '../../shared/testing/open-flags.js';
import { encodeRecord, scanRecords } from './journal-format.js';
import { LowdbStore } from './lowdb-store.js';
import type { StoreState, VmRecord } from './types.js';

const root = await mkdtemp(join(tmpdir(), 'vmpool-journal-test-'));
let n = 0;
afterAll(() => rm(root, { recursive: true, force: true }));

function vm(id: string, tags: string[] = []): VmRecord {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id,
    tenant: 't',
    name: id,
    vmid: 100,
    tags,
    request: {},
    state: 'creating',
    node_id: null,
    placement: null,
    created_at: at,
    updated_at: at,
  };
}

/** put adds a VM record to a draft (a statement, for use in update callbacks). */
function put(d: StoreState, id: string, tags: string[] = []): void {
  d.vms[id] = vm(id, tags);
}

const CTOR: string = 'constructor';
const PROTO: string = '__proto__';

async function fresh(): Promise<{ path: string; store: LowdbStore }> {
  const path = join(root, `j-${++n}.json`);
  const store = new LowdbStore(path);
  await store.load();
  return { path, store };
}

describe('journal framing', () => {
  it('reads back whole records and calls a cut-short or bad last frame torn, a bad middle frame corrupt', () => {
    const a = encodeRecord({ seq: 1, patches: [] });
    const b = encodeRecord({ seq: 2, patches: [{ op: 'remove', path: ['vms', 'x'] }] });
    expect(scanRecords(Buffer.concat([a, b]))).toMatchObject({
      tail: 'clean',
      goodBytes: a.length + b.length,
    });
    expect(scanRecords(Buffer.concat([a, b.subarray(0, 11)]))).toMatchObject({
      tail: 'torn',
      goodBytes: a.length,
    });
    expect(scanRecords(Buffer.concat([a, b.subarray(0, 5)]))).toMatchObject({
      tail: 'torn',
      goodBytes: a.length,
    });
    const flipped = Buffer.from(a);
    flipped[12] = (flipped[12] ?? 0) ^ 0xff;
    expect(scanRecords(Buffer.concat([a, flipped])).tail).toBe('torn');
    expect(scanRecords(Buffer.concat([flipped, b])).tail).toBe('corrupt');
  });

  it('frames a record exactly as journals were always framed: byte length, CRC-32, UTF-8 JSON', () => {
    const record = {
      seq: 7,
      patches: [{ op: 'add' as const, path: ['vms', 'é'], value: { name: 'ü-€-😀' } }],
    };
    const payload = Buffer.from(JSON.stringify(record), 'utf8');
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    const frame = encodeRecord(record);
    expect(frame.equals(Buffer.concat([header, payload]))).toBe(true);
    expect(scanRecords(frame)).toEqual({ records: [record], goodBytes: frame.length, tail: 'clean' });
  });
});

describe('LowdbStore journal', () => {
  it('replays arrays, removals and ids such as __proto__ and constructor to the same state', async () => {
    const { path, store } = await fresh();
    await store.update((d) => {
      put(d, '__proto__', ['a', 'b', 'c']);
      put(d, CTOR);
      put(d, 'plain', ['x']);
    });
    await store.update((d) => {
      d.vms[PROTO]?.tags.splice(0, 2, 'z');
      d.vms.plain?.tags.push('y', 'w');
      delete d.vms[CTOR];
      if (d.vms.plain) d.vms.plain.state = 'running';
    });
    const reopened = new LowdbStore(path);
    const state = await reopened.load();
    expect(state).toEqual(store.read());
    expect(Object.keys(state.vms).sort()).toEqual(['__proto__', 'plain']);
    expect(state.vms[PROTO]?.tags).toEqual(['z', 'c']);
    expect(Object.getPrototypeOf(state.vms)).toBeNull();
    expect(reopened.lastLoad).toEqual({ snapshotSeq: 0, replayed: 2, tornBytes: 0 });
    await Promise.all([store.close(), reopened.close()]);
  });

  it('cuts a torn last record (never acknowledged) and keeps every earlier one', async () => {
    const { path, store } = await fresh();
    await store.update((d) => put(d, 'a'));
    await store.close();
    const whole = encodeRecord({ seq: 2, patches: [{ op: 'add', path: ['vms', 'b'], value: vm('b') }] });
    await appendFile(`${path}.journal.1`, whole.subarray(0, whole.length - 3));
    const reopened = new LowdbStore(path);
    expect(Object.keys((await reopened.load()).vms)).toEqual(['a']);
    expect(reopened.lastLoad.tornBytes).toBe(whole.length - 3);
    await reopened.update((d) => put(d, 'c'));
    await reopened.close();
    expect(Object.keys((await new LowdbStore(path).load()).vms).sort()).toEqual(['a', 'c']);
  });

  it('refuses a damaged record in the middle and a gap in sequence numbers with store_corrupt', async () => {
    const { path, store } = await fresh();
    for (const id of ['a', 'b']) await store.update((d) => put(d, id));
    await store.close();
    const data = await readFile(`${path}.journal.1`);
    data[10] = (data[10] ?? 0) ^ 0xff;
    await writeFile(`${path}.journal.1`, data);
    await expect(new LowdbStore(path).load()).rejects.toMatchObject({ code: 'store_corrupt' });
    const gapPath = join(root, `gap-${++n}.json`);
    await writeFile(
      `${gapPath}.journal.1`,
      Buffer.concat([encodeRecord({ seq: 1, patches: [] }), encodeRecord({ seq: 3, patches: [] })]),
    );
    await expect(new LowdbStore(gapPath).load()).rejects.toMatchObject({ code: 'store_corrupt' });
  });

  it('holds the active segment open with O_DSYNC, so an acknowledged append is on disk', async () => {
    const path = join(root, `dsync-${++n}.json`);
    const store = new LowdbStore(path);
    await store.load();
    await store.update((d) => put(d, 'one'));
    const flags = openFlagsOf(`${path}.journal.1`);
    await store.close();
    expect(flags).toHaveLength(1);
    expect(flags[0]! & constants.O_DSYNC).toBe(constants.O_DSYNC);
  });

  it('a failed append is cut back off the journal, so the rolled-back change never replays', async () => {
    const path = join(root, `fail-${++n}.json`);
    let fail = false;
    const store = new LowdbStore(path, {
      // fails after the record's bytes are in the file, before fdatasync: the cut-back path
      afterWrite: () => {
        if (fail) throw new Error('EIO: injected');
      },
    });
    await store.load();
    await store.update((d) => put(d, 'kept'));
    const size = (await stat(`${path}.journal.1`)).size;
    fail = true;
    await expect(store.update((d) => put(d, 'lost'))).rejects.toMatchObject({
      code: 'store_write_failed',
    });
    fail = false;
    expect((await stat(`${path}.journal.1`)).size).toBe(size);
    await store.update((d) => put(d, 'after'));
    await store.close();
    expect(Object.keys((await new LowdbStore(path).load()).vms).sort()).toEqual(['after', 'kept']);
  });

  it('compaction in the background keeps writes going and leaves a snapshot plus a short journal', async () => {
    const path = join(root, `compact-${++n}.json`);
    const steps: string[] = [];
    const store = new LowdbStore(path, {
      compactMinBytes: 4096,
      compactRatio: 0,
      onCompactionStep: (s) => void steps.push(s),
    });
    await store.load();
    for (let i = 0; i < 60; i++) await store.update((d) => put(d, `v${i}`));
    await store.close();
    expect(steps).toContain('cleaned');
    const reopened = new LowdbStore(path);
    expect(Object.keys((await reopened.load()).vms)).toHaveLength(60);
    expect(reopened.lastLoad.snapshotSeq).toBeGreaterThan(0);
    expect(reopened.lastLoad.replayed).toBeLessThan(60);
    await reopened.close();
  });
});
