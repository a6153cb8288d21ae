import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage, VmpoolError } from '../../shared/errors.js';
import { failpoint } from '../../shared/failpoint.js';
import type { Logger } from '../../shared/log.js';
import type { VmReport } from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { HostTopology } from '../../shared/topology.js';
import type { DomainState, Hypervisor } from '../backends/libvirt/hypervisor.js';
import type { SidecarStore } from '../sidecar/store.js';
import { newSidecar, type Sidecar, type SpawnPhase, sidecarPathFor } from '../sidecar/schema.js';
import { siblingOf } from '../topology/index.js';
import type { HostView } from '../validate/host-view.js';
import { SpawnValidationError } from '../validate/errors.js';
import { validateSpawn } from '../validate/validate.js';
import { removeEmptyDir, runSteps, type SpawnContext, undoSpawn } from '../backends/libvirt/pipeline.js';
import { reportOf } from './report.js';

/** VmManagerOptions wires the agent's VM authority to its hypervisor, sidecars and host facts. */
export interface VmManagerOptions {
  hv: Hypervisor;
  sidecars: SidecarStore;
  topology: HostTopology;
  hostReservedCpus: readonly number[];
  imagesDir: string;
  allowedBaseDirs?: readonly string[];
  sysRoot?: string;
  userNetwork?: boolean;
  /** shutdownTimeoutMs is how long a graceful shutdown may take before the domain is forced off */
  shutdownTimeoutMs?: number;
  log: Logger;
}

/** VmNotFoundError is a destroy or lookup for a VM this agent does not have. */
export class VmNotFoundError extends VmpoolError {
  constructor(ref: string) {
    super('vm_not_found', `Cannot find VM ${JSON.stringify(ref)} on this node`);
    this.name = 'VmNotFoundError';
  }
}

/** VmManager is the node's spawn authority: it owns the sidecars and every libvirt domain vmpool made. */
export class VmManager {
  readonly vms = new Map<string, Sidecar>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly o: VmManagerOptions) {}

  /** spawn validates, then runs the pipeline; on any failure everything made so far is undone. */
  spawn(spec: SpawnSpec, onStep: (phase: SpawnPhase) => void = () => undefined): Promise<VmReport> {
    return this.serial(() => this.spawnNow(spec, onStep));
  }

  /** destroy stops (gracefully, then forced) and removes a VM; a second call finds nothing and says so. */
  destroy(ref: string, opts: { keepDisk?: boolean } = {}): Promise<void> {
    return this.serial(() => this.destroyNow(ref, opts));
  }

  /** reports lists every VM this agent holds, for hello and heartbeats. */
  reports(): VmReport[] {
    return [...this.vms.values()].map(reportOf);
  }

  /** hostView is the live picture validation checks a new spec against. */
  hostView(exceptVmId?: string): HostView {
    return {
      topology: this.o.topology,
      hostReservedCpus: this.o.hostReservedCpus,
      imagesDir: this.o.imagesDir,
      ...(this.o.allowedBaseDirs ? { allowedBaseDirs: this.o.allowedBaseDirs } : {}),
      vms: [...this.vms.values()]
        .filter((s) => s.vm_id !== exceptVmId)
        .map((s) => {
          const r = reportOf(s);
          return {
            name: r.name,
            vm_id: r.vm_id,
            pins: r.vcpu_pins,
            cpu_policy: r.cpu_policy,
            numa_node: r.numa_node ?? -1,
            memory_mb: r.memory_mb,
          };
        }),
    };
  }

  /**
   * refreshStates reads domain states from libvirt into memory for heartbeats. It never writes a
   * sidecar: a spawn or destroy may be rewriting or removing it right now (recovery re-observes anyway).
   */
  async refreshStates(): Promise<void> {
    const byName = new Map((await this.o.hv.listDomains()).map((d) => [d.name, d.state]));
    for (const s of [...this.vms.values()]) {
      // creating, lost and recorded failures are the agent's own findings: libvirt's view must not overwrite them
      const settled =
        s.observed_state === 'creating' || s.observed_state === 'lost' || s.failure !== undefined;
      if (settled || s.desired_state === 'destroyed') continue;
      const next = observedOf(byName.get(s.name));
      if (next !== s.observed_state && this.vms.get(s.vm_id) === s)
        this.vms.set(s.vm_id, { ...s, observed_state: next });
    }
  }

  /** save writes a sidecar and keeps the in-memory copy in step with the file. */
  async save(s: Sidecar): Promise<Sidecar> {
    const stored = await this.o.sidecars.write(s);
    this.vms.set(stored.vm_id, stored);
    return stored;
  }

  /** forget removes a VM's domain, files, sidecar and folder after rollback or destroy (disks kept on request). */
  async forget(s: Sidecar, opts: { keepDisk?: boolean } = {}): Promise<void> {
    await undoSpawn(this.o.hv, s.spec, { vmId: s.vm_id, ...opts });
    await this.o.sidecars.remove(s.spec.disk_path);
    await removeEmptyDir(dirname(s.spec.disk_path));
    this.vms.delete(s.vm_id);
  }

  /** context is what the pipeline steps need for one spec. */
  context(spec: SpawnSpec, vmId: string): SpawnContext {
    const topo = this.o.topology;
    return {
      hv: this.o.hv,
      spec,
      vmId,
      kvm: topo.kvm,
      threadsPerCore: topo.threads_per_core,
      areSiblings: (a, b) => siblingOf(topo, a) === b,
      sysRoot: this.o.sysRoot ?? '/',
      userNetwork: this.o.userNetwork ?? false,
    };
  }

  private async spawnNow(spec: SpawnSpec, onStep: (phase: SpawnPhase) => void): Promise<VmReport> {
    const vmId = spec.vm_id ?? randomUUID();
    const existing = this.vms.get(vmId);
    // a repeated spawn of a VM already made (coordinator retry after reconnect) answers with what exists
    if (existing && existing.phase === 'done') return reportOf(existing);
    validateSpawn(spec, this.hostView(vmId));
    await this.checkUnclaimed(spec);
    // 0755: QEMU runs as libvirt-qemu and must be able to enter the VM's folder
    await mkdir(dirname(spec.disk_path), { recursive: true, mode: 0o755 }).catch((err: unknown) => {
      throw new VmpoolError('vm_dir_create_failed', 'Cannot create the VM folder', {
        cause: err,
        retryable: (err as NodeJS.ErrnoException).code === 'ENOSPC',
        details: { errno: (err as NodeJS.ErrnoException).code },
      });
    });
    failpoint('spawn:accepted');
    let s = await this.save(
      newSidecar({ ...spec, vm_id: vmId }, { vm_id: vmId, phase: 'accepted', now: Date.now() }),
    ).catch(async (err: unknown) => {
      // no sidecar means nothing to roll back but the folder just made (e.g. ENOSPC on the first write)
      await removeEmptyDir(dirname(spec.disk_path));
      throw err;
    });
    failpoint('spawn:accepted:recorded');
    const log = this.o.log.child({ vm_id: vmId, vm_name: spec.name, vmid: spec.vmid });
    try {
      await runSteps(this.context(s.spec, vmId), 'accepted', async (phase) => {
        s = await this.save({ ...s, phase });
        onStep(phase);
      });
      const dom = await this.o.hv.lookupDomain(spec.name);
      s = await this.save({ ...s, phase: 'done', observed_state: 'running', domain_uuid: dom?.uuid ?? null });
      log.info('vm spawned', {
        numa_node: spec.tuning.numa_memory.nodeset,
        pins: spec.tuning.vcpu_pins.join(','),
      });
      return reportOf(s);
    } catch (err) {
      log.warn('spawn failed, rolling back', { err, phase: s.phase });
      await this.forget(s).catch(async (undoErr: unknown) => {
        // keep it visible as failed (never `creating` forever); the next destroy or recovery retries
        log.error('rollback failed', { err: undoErr });
        const failure = { code: 'rollback_failed', message: errorMessage(undoErr) };
        await this.save({ ...s, observed_state: 'failed', failure }).catch(() => undefined);
      });
      throw err;
    }
  }

  /**
   * checkUnclaimed refuses a name libvirt already has (maybe a domain vmpool never made) and a disk
   * path whose sidecar survives from another VM (its disk may be lost, but the path is still taken).
   */
  private async checkUnclaimed(spec: SpawnSpec): Promise<void> {
    if (await this.o.hv.lookupDomain(spec.name)) {
      throw new SpawnValidationError(
        'name_in_use',
        'name',
        'Cannot spawn VM: libvirt already has a domain with this name',
      );
    }
    if (existsSync(sidecarPathFor(spec.disk_path))) {
      throw new SpawnValidationError(
        'path_exists',
        'disk_path',
        'Cannot spawn VM: another VM still records this disk path',
      );
    }
  }

  /** drain waits for the spawn or destroy in progress (and those queued) to finish or roll back. */
  drain(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  private async destroyNow(ref: string, opts: { keepDisk?: boolean }): Promise<void> {
    const found = this.vms.get(ref) ?? [...this.vms.values()].find((s) => s.name === ref);
    if (!found) throw new VmNotFoundError(ref);
    // the choice to keep the disk is recorded too, so a crash mid-destroy cannot lose a kept disk
    const s = await this.save({ ...found, desired_state: 'destroyed', keep_disk: opts.keepDisk ?? false });
    failpoint('destroy:recorded');
    await this.stopGracefully(s.name);
    failpoint('destroy:stopped');
    await this.forget(s, opts);
    this.o.log.info('vm destroyed', { vm_id: s.vm_id, vm_name: s.name });
  }

  private async stopGracefully(name: string): Promise<void> {
    const dom = await this.o.hv.lookupDomain(name);
    if (!dom || dom.state === 'shutoff') return;
    const deadline = Date.now() + (this.o.shutdownTimeoutMs ?? 10_000);
    await this.o.hv.shutdown(name).catch(() => undefined);
    while (Date.now() < deadline) {
      if ((await this.o.hv.lookupDomain(name))?.state === 'shutoff') return;
      await new Promise((r) => setTimeout(r, 250));
    }
    // no guest agent answered ACPI in time: force it off (undoSpawn tolerates an already-stopped domain)
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** observedOf maps a libvirt domain state (or absence) to a sidecar's observed state. */
export function observedOf(state: DomainState | undefined): Sidecar['observed_state'] {
  if (state === undefined) return 'unknown';
  if (state === 'running' || state === 'blocked' || state === 'paused') return 'running';
  if (state === 'crashed') return 'failed';
  return 'stopped';
}
