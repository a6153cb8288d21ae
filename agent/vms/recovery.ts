import { existsSync } from 'node:fs';
import { errorMessage, isVmpoolError } from '../../shared/errors.js';
import type { DomainSummary } from '../backends/libvirt/hypervisor.js';
import { parseVmpoolMetadata } from '../backends/libvirt/domain/parse.js';
import type { Sidecar } from '../sidecar/schema.js';
import { observedOf, type VmManager } from './manager.js';
import { removeOwnDomain, runSteps } from '../backends/libvirt/pipeline.js';
import { rebuildSidecar } from '../backends/libvirt/rebuild.js';

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
 * recover rebuilds the agent's state from sidecars and libvirt before it reports anything,
 * without asking the coordinator. Domains without vmpool metadata are never touched.
 */
export async function recover(
  m: VmManager,
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
  const scan = await m.o.sidecars.scan();
  r.quarantined = scan.quarantined.map((q) => ({ path: q.path, reason: q.reason }));
  const domains = new Map((await m.o.hv.listDomains()).map((d) => [d.name, d]));
  for (const s of scan.sidecars) {
    m.vms.set(s.vm_id, s);
    // one VM that cannot be recovered must not keep the agent (and every other VM) from starting
    await recoverOne(m, s, domains.get(s.name), r, opts).catch((err: unknown) => {
      m.o.log.error('cannot recover VM; reported failed', { vm_id: s.vm_id, vm_name: s.name, err });
      const code = isVmpoolError(err) ? err.code : 'recovery_failed';
      m.vms.set(s.vm_id, { ...s, observed_state: 'failed', failure: { code, message: errorMessage(err) } });
      r.failed.push(s.name);
    });
  }
  await rebuildMissing(m, domains, new Set(scan.sidecars.map((s) => s.name)), r);
  m.o.log.info('recovery finished', summary(r));
  return r;
}

async function recoverOne(
  m: VmManager,
  s: Sidecar,
  dom: DomainSummary | undefined,
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
    // the disk survived but libvirt forgot the domain: define and start it again from the sidecar
    // a lost seed ISO is rebuilt from the sidecar; a failed start or pin check leaves no defined domain
    const from = existsSync(s.spec.cloud_init_iso_path) ? 'seed_iso' : 'extra_disks';
    await runSteps(m.context(s.spec, s.vm_id), from, async () => undefined).catch(async (err: unknown) => {
      await removeOwnDomain(m.o.hv, s.name, s.vm_id).catch(() => undefined);
      throw err;
    });
    const again = await m.o.hv.lookupDomain(s.name);
    await m.save({ ...s, observed_state: 'running', domain_uuid: again?.uuid ?? null });
    r.redefined.push(s.name);
  } else if (!dom) {
    // desired stopped and libvirt forgot it: nothing to run; the disk and sidecar stay
    r.stopped.push(s.name);
  } else if (observedOf(dom.state) === 'running') {
    // a clean restart finds nothing changed: no sidecar write, no fsync
    if (s.observed_state !== 'running' || s.domain_uuid !== dom.uuid) {
      await m.save({ ...s, observed_state: 'running', domain_uuid: dom.uuid });
    }
    r.adopted.push(s.name);
  } else if (opts.restartStopped && s.desired_state === 'running') {
    await m.o.hv.start(s.name);
    await m.save({ ...s, observed_state: 'running', domain_uuid: dom.uuid });
    r.restarted.push(s.name);
  } else {
    await m.save({ ...s, observed_state: observedOf(dom.state), domain_uuid: dom.uuid });
    r.stopped.push(s.name);
  }
}

async function rebuildMissing(
  m: VmManager,
  domains: Map<string, DomainSummary>,
  withSidecar: ReadonlySet<string>,
  r: RecoveryReport,
): Promise<void> {
  for (const dom of domains.values()) {
    // domains that had a sidecar were handled above (and may have been rolled back since the listing)
    if (withSidecar.has(dom.name)) continue;
    const xml = await m.o.hv.xmlDesc(dom.name, { inactive: true }).catch(() => null);
    if (xml === null) continue; // vanished since the listing
    const meta = parseVmpoolMetadata(xml);
    if (!meta) continue; // not ours: never touched
    const s = await rebuildSidecar(m, dom, xml, meta);
    if (s) r.rebuilt.push(s.name);
  }
}

function summary(r: RecoveryReport): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, (v as unknown[]).length]));
}
