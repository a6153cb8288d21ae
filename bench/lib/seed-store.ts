// A coordinator data dir as a restarted coordinator of a running fleet finds it: every simulated
// node enrolled (its credential's hash) and every VM it reports recorded, written through the
// project's own store. Hellos then change nothing, as in a steady fleet.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { adopt } from '../../coordinator/claims/reconcile.js';
import { LowdbStore } from '../../coordinator/store/index.js';
import { hashToken } from '../../coordinator/tenants/tokens.js';
import { simVmReports } from './sim-reports.js';

/** simNodeId names simulated node i. */
export function simNodeId(i: number): string {
  return `sim-${String(i).padStart(5, '0')}`;
}

/** simSecret is node id's credential (43 base64url characters, as enrolment issues). */
export function simSecret(nodeId: string): string {
  return createHash('sha256').update(`bench:${nodeId}`).digest('base64url');
}

/** seedStore writes `n` enrolled nodes with `vms` VMs each into `<dataDir>/state.json`. */
export async function seedStore(dataDir: string, n: number, vms: number): Promise<void> {
  const store = new LowdbStore(join(dataDir, 'state.json'));
  await store.load();
  const now = new Date().toISOString();
  await store.update((d) => {
    d.nodes ??= {};
    for (let i = 0; i < n; i++) {
      const id = simNodeId(i);
      d.nodes[id] = { id, secret_hash: hashToken(simSecret(id)), enrolled_at: now };
      for (const r of simVmReports(id, vms)) d.vms[r.vm_id] = adopt(id, r, now);
    }
  });
}
