import type { EventBus } from './bus.js';

/** SpawnObserver receives placements and spawn durations (the coordinator's metrics). */
export interface SpawnObserver {
  placed(pass: number): void;
  spawned(seconds: number, result: 'ok' | 'failed'): void;
}

/**
 * observeSpawns makes metrics a bus subscriber: every vm.placed counts a placement by pass, and
 * the time from vm.claimed to vm.running (via spawn) or vm.failed is one spawn duration.
 */
export function observeSpawns(
  bus: EventBus,
  observer: SpawnObserver,
  now = () => performance.now(),
): () => void {
  const started = new Map<string, number>();
  return bus.subscribe((e) => {
    if (e.type === 'vm.claimed') started.set(e.vm_id, now());
    else if (e.type === 'vm.placed') observer.placed(e.pass);
    else if ((e.type === 'vm.running' && e.via === 'spawn') || e.type === 'vm.failed') {
      const t0 = started.get(e.vm_id);
      started.delete(e.vm_id);
      if (t0 !== undefined) observer.spawned((now() - t0) / 1000, e.type === 'vm.running' ? 'ok' : 'failed');
    } else if (e.type === 'vm.released') started.delete(e.vm_id);
  });
}
