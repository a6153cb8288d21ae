import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../shared/atomic-file.js';

/** Cordon is why and since when a node takes no new placements. */
export interface Cordon {
  reason: string;
  since: string;
}

/**
 * Cordons is the admin's set of cordoned nodes (no new placements; running VMs stay), kept in a
 * small file so a restarted coordinator still honours it. `path` null keeps it in memory (tests).
 */
export class Cordons {
  private chain: Promise<void> = Promise.resolve();
  private constructor(
    private readonly path: string | null,
    private readonly map: Map<string, Cordon>,
  ) {}

  /** open reads the file (none cordoned when it does not exist). */
  static async open(path: string | null): Promise<Cordons> {
    const map = new Map<string, Cordon>();
    if (path) {
      try {
        const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, Cordon>;
        for (const [k, v] of Object.entries(raw)) map.set(k, v);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return new Cordons(path, map);
  }

  /** get says whether (and why) a node is cordoned. */
  get(nodeId: string): Cordon | undefined {
    return this.map.get(nodeId);
  }

  /** ids is every cordoned node. */
  ids(): ReadonlySet<string> {
    return new Set(this.map.keys());
  }

  /** set cordons (or, with null, uncordons) a node and resolves once that is on disk. */
  set(nodeId: string, cordon: Cordon | null): Promise<void> {
    if (cordon) this.map.set(nodeId, cordon);
    else this.map.delete(nodeId);
    if (!this.path) return Promise.resolve();
    const text = `${JSON.stringify(Object.fromEntries(this.map))}\n`;
    const path = this.path;
    const next = this.chain.then(() => writeFileAtomic(path, text, { mode: 0o600 }));
    this.chain = next.catch(() => undefined);
    return next;
  }
}
