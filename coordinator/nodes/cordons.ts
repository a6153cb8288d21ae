import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../shared/atomic-file.js';
import type { CordonRecord, Store } from '../store/types.js';

const NONE: ReadonlySet<string> = new Set();

/** Cordon is why and since when a node takes no new placements. */
export type Cordon = CordonRecord;

/** CordonBacking is where the set lives: a small file, memory, or the shared store (HA). */
interface CordonBacking {
  all(): Readonly<Record<string, Cordon>>;
  set(nodeId: string, cordon: Cordon | null): Promise<void>;
}

/**
 * Cordons is the admin's set of cordoned nodes (no new placements; running VMs stay). A single
 * coordinator keeps it in a small file so a restart still honours it (`path` null: memory, tests);
 * coordinators sharing etcd keep it in the store, so a new leader honours the old leader's cordons.
 */
export class Cordons {
  private constructor(private readonly backing: CordonBacking) {}

  /** open reads the file (none cordoned when it does not exist). */
  static async open(path: string | null): Promise<Cordons> {
    const map: Record<string, Cordon> = Object.create(null);
    if (path) {
      try {
        Object.assign(map, JSON.parse(await readFile(path, 'utf8')) as Record<string, Cordon>);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return new Cordons(fileBacking(path, map));
  }

  /** inStore keeps the cordons in the store's `cordons` map (every coordinator on it sees them). */
  static inStore(store: Store): Cordons {
    return new Cordons({
      all: () => store.read().cordons ?? {},
      set: (nodeId, cordon) =>
        store.update((d) => {
          d.cordons ??= {};
          if (cordon) d.cordons[nodeId] = cordon;
          else delete d.cordons[nodeId];
        }),
    });
  }

  /** get says whether (and why) a node is cordoned. */
  get(nodeId: string): Cordon | undefined {
    return Object.hasOwn(this.backing.all(), nodeId) ? this.backing.all()[nodeId] : undefined;
  }

  /** ids is every cordoned node (placement asks on every create: none cordoned costs no Set). */
  ids(): ReadonlySet<string> {
    const all = this.backing.all();
    for (const _ in all) return new Set(Object.keys(all));
    return NONE;
  }

  /** set cordons (or, with null, uncordons) a node and resolves once that is durable. */
  set(nodeId: string, cordon: Cordon | null): Promise<void> {
    return this.backing.set(nodeId, cordon);
  }
}

function fileBacking(path: string | null, map: Record<string, Cordon>): CordonBacking {
  let chain: Promise<void> = Promise.resolve();
  return {
    all: () => map,
    set(nodeId, cordon) {
      if (cordon) map[nodeId] = cordon;
      else delete map[nodeId];
      if (!path) return Promise.resolve();
      const text = `${JSON.stringify(map)}\n`;
      const next = chain.then(() => writeFileAtomic(path, text, { mode: 0o600 }));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
