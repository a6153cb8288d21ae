// The coordinator's file store at fleet size: start (load snapshot + replay journal), one durable
// write (sequential and group-committed), and a compaction running under writes.
// npm run bench -- store --vms 100000 [--writes 2000] [--concurrency 64] [--json]
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LowdbStore } from '../coordinator/store/lowdb-store.js';
import { captureSource, writeSnapshot } from '../coordinator/store/snapshot-writer.js';
import type { StoreState } from '../coordinator/store/types.js';
import { startCoordinator, stopCoordinator } from './lib/coordinator-proc.js';
import { benchState } from './lib/fleet-state.js';
import { fdatasyncFloor } from './lib/fsync-floor.js';
import { flag, integer } from './lib/option-kinds.js';
import { parseOptions } from './lib/options.js';
import { emit, latency, nowMs } from './lib/stats.js';

/** OPTIONS are the store bench's flags (bench/main.ts prints them for --help). */
const OPTIONS = {
  vms: integer({ min: 1, default: 100000 }),
  writes: integer({ min: 1, default: 2000 }),
  concurrency: integer({ min: 1, default: 64 }),
  noCoordinator: flag(),
  json: flag(),
};

interface Options {
  vms: number;
  writes: number;
  concurrency: number;
  coordinator: boolean;
  json: boolean;
}

function options(argv: string[]): Options {
  const { noCoordinator, ...o } = parseOptions(argv, OPTIONS);
  return { ...o, coordinator: !noCoordinator };
}

/** touch is one small write as the create path makes them: a VM's state and timestamp. */
function touch(store: LowdbStore, ids: readonly string[], i: number): Promise<void> {
  const id = ids[i % ids.length]!;
  return store.update((d) => {
    const vm = d.vms[id];
    if (!vm) return;
    vm.state = vm.state === 'running' ? 'stopped' : 'running';
    vm.updated_at = new Date().toISOString();
  });
}

async function timedWrites(
  store: LowdbStore,
  ids: readonly string[],
  count: number,
  start: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = nowMs();
    await touch(store, ids, start + i);
    times.push(nowMs() - t);
  }
  return times;
}

async function concurrentWrites(store: LowdbStore, ids: readonly string[], o: Options) {
  const times: number[] = [];
  const before = store.writes;
  const t0 = nowMs();
  let next = 0;
  const worker = async () => {
    while (next < o.writes) {
      const t = nowMs();
      await touch(store, ids, next++);
      times.push(nowMs() - t);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const s = (nowMs() - t0) / 1000;
  return { ...latency(times), writes_per_s: Math.round(o.writes / s), fdatasyncs: store.writes - before };
}

/** underCompaction writes one at a time while a forced compaction runs, watching the event loop. */
async function underCompaction(store: LowdbStore, ids: readonly string[]) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = nowMs();
  let done = false;
  const compaction = store.compact().then(() => {
    done = true;
  });
  const times: number[] = [];
  for (let i = 0; !done; i++) {
    const t = nowMs();
    await touch(store, ids, i);
    times.push(nowMs() - t);
  }
  await compaction;
  loop.disable();
  return { compaction_ms: Math.round(nowMs() - t0), ...latency(times), loop_delay_max_ms: loop.max / 1e6 };
}

/** run builds a state of --vms VMs as a snapshot, then measures the store on it. */
export async function run(argv: string[]): Promise<void> {
  const o = options(argv);
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-bench-store-'));
  try {
    const path = join(dir, 'state.json');
    const state: StoreState = benchState(
      o.vms,
      Math.max(1, Math.ceil(o.vms / 1000)),
      Math.max(1, Math.ceil(o.vms / 10)),
    );
    let t = nowMs();
    JSON.stringify(state);
    const wholeStringifyMs = nowMs() - t;
    await writeSnapshot(path, captureSource(state), 0, () => undefined);
    const snapshotMb = (await stat(path)).size / 2 ** 20;
    t = nowMs();
    const store = new LowdbStore(path);
    await store.load();
    const loadMs = nowMs() - t;
    const ids = Object.keys(store.read().vms);
    const floor = await fdatasyncFloor(dir, Math.min(o.writes, 500));
    const sequential = latency(await timedWrites(store, ids, o.writes, 0));
    const concurrent = await concurrentWrites(store, ids, o);
    const compaction = await underCompaction(store, ids);
    await timedWrites(store, ids, 200, 7); // a journal to replay on top of the new snapshot
    await store.close();
    t = nowMs();
    const reopened = new LowdbStore(path);
    await reopened.load();
    const reloadMs = nowMs() - t;
    await reopened.close();
    const coordinator = o.coordinator ? await coordinatorStart(dir) : null;
    const r3 = (v: number) => Math.round(v * 1000) / 1000;
    emit(
      {
        bench: 'store',
        vms: o.vms,
        snapshot_mib: r3(snapshotMb),
        whole_state_stringify_ms: r3(wholeStringifyMs),
        store_load_ms: r3(loadMs),
        store_reload_with_journal_ms: r3(reloadMs),
        replayed_records: reopened.lastLoad.replayed,
        coordinator_start_to_healthz_ms: coordinator,
        fdatasync_floor: floor,
        write_sequential: sequential,
        write_concurrent: { concurrency: o.concurrency, ...concurrent },
        compaction,
      },
      o.json,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function coordinatorStart(dataDir: string): Promise<number> {
  const c = await startCoordinator(dataDir);
  await stopCoordinator(c);
  return Math.round(c.startMs);
}
