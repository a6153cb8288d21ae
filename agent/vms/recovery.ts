import { existsSync } from 'node:fs';
import { errorMessage, isVmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { VmBackend, VmInstance } from '../backends/backend.js';
import { newSidecar, type Sidecar } from '../sidecar/schema.js';
import { withObserved } from './lifecycle.js';
import { finishResize } from './resize.js';
import type { SidecarStore } from '../sidecar/store.js';

/** RecoveryPort is the part of the VM manager recovery works through (its map stays private). */
export interface RecoveryPort {
  readonly backend: VmBackend;
  readonly sidecars: SidecarStore;
  readonly log: Logger;
  /** track puts a scanned sidecar in memory without writing it */
  track(s: Sidecar): void;
  save(s: Sidecar): Promise<Sidecar>;
  forget(s: Sidecar, opts?: { keepDisk?: boolean }): Promise<void>;
}

/** RecoveryReport says what recovery found and did, for the log and for tests. */
export interface RecoveryReport {
  adopted: string[];
  stopped: string[];
  restarted: string[];
  rolledBack: string[];
  destroyed: string[];
  redefined: string[];
  rebuilt: string[];
  lost: string[];
  failed: string[];
  quarantined: { path: string; reason: string }[];
}

/**
 * recoverVms rebuilds the agent's state from sidecars and the backend before it reports anything,
 * without asking the coordinator. Instances without vmpool metadata are never touched.
 */
export async function recoverVms(
  m: RecoveryPort,
  opts: { restartStopped?: boolean } = {},
): Promise<RecoveryReport> {
  const r: RecoveryReport = {
    adopted: [],
    stopped: [],
    restarted: [],
    rolledBack: [],
    destroyed: [],
    redefined: [],
    rebuilt: [],
    lost: [],
    failed: [],
    quarantined: [],
  };
  const scan = await m.sidecars.scan();
  r.quarantined = scan.quarantined.map((q) => ({ path: q.path, reason: q.reason }));
  const domains = new Map((await m.backend.list()).map((d) => [d.name, d]));
  for (const s of scan.sidecars) {
    m.track(s);
    // one VM that cannot be recovered must not keep the agent (and every other VM) from starting
    await recoverOne(m, s, domains.get(s.name), r, opts).catch((err: unknown) => {
      m.log.error('cannot recover VM; reported failed', { vm_id: s.vm_id, vm_name: s.name, err });
      const code = isVmpoolError(err) ? err.code : 'recovery_failed';
      m.track({ ...s, observed_state: 'failed', failure: { code, message: errorMessage(err) } });
      r.failed.push(s.name);
    });
  }
  await rebuildMissing(m, domains, new Set(scan.sidecars.map((s) => s.name)), r);
  m.log.info('recovery finished', summary(r));
  return r;
}

async function recoverOne(
  m: RecoveryPort,
  s: Sidecar,
  dom: VmInstance | undefined,
  r: RecoveryReport,
  opts: { restartStopped?: boolean },
): Promise<void> {
  if (s.desired_state === 'destroyed') {
    await m.forget(s, { keepDisk: s.keep_disk ?? false });
    r.destroyed.push(s.name);
  } else if (s.phase !== 'done') {
    // a spawn cut short: roll it back so the node holds either a whole VM or nothing
    await m.forget(s);
    r.rolledBack.push(s.name);
  } else if (!existsSync(s.spec.disk_path)) {
    await m.save({
      ...s,
      observed_state: 'lost',
      failure: { code: 'disk_missing', message: `Disk ${s.spec.disk_path} is gone` },
    });
    r.lost.push(s.name);
  } else if (!dom && s.desired_state === 'running') {
    // the disk survived but the backend forgot the instance: make and start it again from the sidecar
    // a lost seed ISO is rebuilt from the sidecar; a failed start or pin check leaves no instance
    const from = existsSync(s.spec.cloud_init_iso_path) ? 'seed_iso' : 'extra_disks';
    const create = {
      vmId: s.vm_id,
      from,
      onPhase: async () => undefined,
      ...(s.network ? { network: s.network } : {}),
    } as const;
    await m.backend.create(s.spec, create).catch(async (err: unknown) => {
      await m.backend.removeInstance(s.name, s.vm_id).catch(() => undefined);
      throw err;
    });
    const again = await m.backend.lookup(s.name);
    await m.save({ ...s, observed_state: 'running', domain_uuid: again?.uuid ?? null });
    r.redefined.push(s.name);
  } else if (!dom) {
    // desired stopped and the backend forgot it: nothing to run; the disk and sidecar stay
    r.stopped.push(s.name);
  } else if (s.resizing && dom.state !== 'running' && dom.state !== 'paused') {
    // a resize recorded its new spec, then the agent died: redefine again (idempotent), keep it stopped
    const done = await finishResize(m.backend, s, dom.uuid);
    await m.save({ ...withObserved(done, dom), domain_uuid: dom.uuid });
    r.redefined.push(s.name);
  } else if (dom.state === 'running') {
    // a clean restart finds nothing changed: no sidecar write, no fsync
    if (s.observed_state !== 'running' || s.domain_uuid !== dom.uuid) {
      await m.save({ ...s, observed_state: 'running', domain_uuid: dom.uuid });
    }
    r.adopted.push(s.name);
  } else if (dom.state === 'paused') {
    // paused (by an operator, or on an I/O error): alive and holding its memory; resuming is a person's call
    if (s.observed_state !== 'paused' || s.observed_reason !== dom.reason || s.domain_uuid !== dom.uuid)
      await m.save({ ...withObserved(s, dom), domain_uuid: dom.uuid });
    r.adopted.push(s.name);
  } else if (opts.restartStopped && s.desired_state === 'running') {
    await m.backend.start(s.name);
    await m.save({ ...s, observed_state: 'running', domain_uuid: dom.uuid });
    r.restarted.push(s.name);
  } else {
    await m.save({ ...withObserved(s, dom), domain_uuid: dom.uuid });
    r.stopped.push(s.name);
  }
}

async function rebuildMissing(
  m: RecoveryPort,
  instances: Map<string, VmInstance>,
  withSidecar: ReadonlySet<string>,
  r: RecoveryReport,
): Promise<void> {
  for (const inst of instances.values()) {
    // instances that had a sidecar were handled above (and may have been rolled back since the listing)
    if (withSidecar.has(inst.name)) continue;
    const found = await m.backend.rebuild(inst);
    if (!found) continue; // vanished, or not ours: never touched
    const log = m.log.child({ vm_id: found.vmId, vm_name: inst.name });
    if ('error' in found) {
      log.error('cannot rebuild sidecar; domain left as it is', { err: found.error });
      continue;
    }
    const s = newSidecar(found.spec, { vm_id: found.vmId, phase: 'done', now: Date.now() });
    const saved = await m
      .save({ ...withObserved(s, inst), domain_uuid: inst.uuid })
      .catch((err: unknown) => log.error('cannot rebuild sidecar; domain left as it is', { err }));
    if (!saved) continue;
    log.warn('sidecar rebuilt from domain metadata', { disk: found.spec.disk_path });
    r.rebuilt.push(saved.name);
  }
}

function summary(r: RecoveryReport): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, (v as unknown[]).length]));
}
