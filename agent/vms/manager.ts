import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readTail } from './tail.js';
import { errorMessage, VmpoolError } from '../../shared/errors.js';
import { failpoint } from '../../shared/failpoint.js';
import type { LogFields, Logger } from '../../shared/log.js';
import type { SpawnOrder, VmReport } from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { HostTopology } from '../../shared/topology.js';
import type { InstanceState, VmBackend, VmNetworkPlan } from '../backends/backend.js';
import { VM_DIR_MODE } from '../disk/modes.js';
import type { SidecarStore } from '../sidecar/store.js';
import {
  newSidecar,
  SPAWN_PHASES,
  type Sidecar,
  type SpawnPhase,
  sidecarPathFor,
} from '../sidecar/schema.js';
import type { HostView } from '../validate/host-view.js';
import { imageVirtualSize } from '../disk/qemu-img.js';
import { SpawnValidationError } from '../validate/errors.js';
import { validateSpawn } from '../validate/validate.js';
import { type RecoveryReport, recoverVms } from './recovery.js';
import { removeKeptDisks } from './kept-disks.js';
import { reportOf } from './report.js';
import { type ResizeOrder, resizeVm } from './resize.js';
import { resolveSpawnOrder } from './resolve.js';
import { checkOrderBaseImage } from '../validate/path-rules.js';
import { type NodeSnapshot, readSnapshot } from './snapshot.js';

/** VmManagerOptions wires the agent's VM authority to its backend, sidecars and host facts. */
export interface VmManagerOptions {
  backend: VmBackend;
  sidecars: SidecarStore;
  topology: HostTopology;
  hostReservedCpus: readonly number[];
  imagesDir: string;
  allowedBaseDirs?: readonly string[];
  /** sysRoot is where sys/ is read for free memory per NUMA node */
  sysRoot?: string;
  /** shutdownTimeoutMs is how long a graceful shutdown may take before the VM is forced off */
  shutdownTimeoutMs?: number;
  log: Logger;
  /** observeStep receives each spawn step's duration (metrics); ok is false for the step that failed */
  observeStep?: (step: string, seconds: number, ok: boolean) => void;
}

/** SpawnContext is per-request data: fields every log line of this spawn or destroy carries. */
export interface SpawnContext {
  logFields?: LogFields;
}

/** PowerOp is a day-2 power operation on one VM. */
export type PowerOp = 'stop' | 'start' | 'reboot';

/** VmNotFoundError is a destroy or lookup for a VM this agent does not have. */
export class VmNotFoundError extends VmpoolError {
  constructor(ref: string) {
    super('vm_not_found', `Cannot find VM ${JSON.stringify(ref)} on this node`);
    this.name = 'VmNotFoundError';
  }
}

/** VmManager is the node's spawn authority: it owns the sidecars and every VM vmpool made on the backend. */
export class VmManager {
  readonly #vms = new Map<string, Sidecar>();
  readonly #o: VmManagerOptions;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(o: VmManagerOptions) {
    this.#o = o;
  }

  /** spawn validates, then runs the backend's create; on any failure everything made so far is undone. */
  spawn(
    spec: SpawnSpec,
    onStep: (phase: SpawnPhase) => void = () => undefined,
    ctx: SpawnContext = {},
  ): Promise<VmReport> {
    return this.serial(() => this.spawnNow(spec, onStep, ctx));
  }

  /** observeSteps sets where each spawn step's duration goes (the agent's metrics). */
  observeSteps(fn: (step: string, seconds: number, ok: boolean) => void): void {
    this.#o.observeStep = fn;
  }

  /** resolve lays a coordinator spawn order out under this node's images dir. */
  resolve(order: SpawnOrder): SpawnSpec & { vm_id: string } {
    const spec = resolveSpawnOrder(order, this.#o.imagesDir);
    // an order names an image; only a regular file in <images>/base/ may back it, never a VM's disk
    checkOrderBaseImage(spec.base_image_path, this.#o.imagesDir);
    return spec;
  }

  /** destroy stops (gracefully, then forced) and removes a VM; a second call finds nothing and says so. */
  destroy(ref: string, opts: { keepDisk?: boolean } = {}, ctx: SpawnContext = {}): Promise<void> {
    return this.serial(() => this.destroyNow(ref, opts, ctx));
  }

  /** removeKept deletes the folder a keep_disk destroy left (never a VM this agent still holds). */
  removeKept(vmId: string): Promise<void> {
    return this.serial(() => removeKeptDisks(this.#o.imagesDir, vmId, this.#vms.has(vmId)));
  }

  /**
   * power stops (ACPI, then forced after timeoutMs), starts or reboots (stop then start) a VM and
   * records what it wants next, so recovery never restarts a VM an operator stopped.
   */
  power(ref: string, op: PowerOp, timeoutMs: number): Promise<VmReport> {
    return this.serial(() => this.powerNow(ref, op, timeoutMs));
  }

  /** resize reshapes a stopped VM (./resize.ts: new spec recorded first, so recovery finishes a cut-short one). */
  resize(order: ResizeOrder, ctx: SpawnContext = {}): Promise<VmReport> {
    const port = {
      backend: this.#o.backend,
      log: this.#o.log,
      find: (ref: string) => this.#vms.get(ref),
      hostView: (id: string) => this.hostView(id),
      save: (s: Sidecar) => this.save(s),
    };
    return this.serial(() => resizeVm(port, order, ctx.logFields));
  }

  /** consoleLog is the last maxBytes of a VM's serial console log ('' before the guest wrote anything). */
  async consoleLog(ref: string, maxBytes: number): Promise<string> {
    const s = this.#vms.get(ref) ?? [...this.#vms.values()].find((v) => v.name === ref);
    if (!s) throw new VmNotFoundError(ref);
    return readTail(join(dirname(s.spec.disk_path), 'console.log'), maxBytes);
  }

  /** reports lists every VM this agent holds, for hello and heartbeats. */
  reports(): VmReport[] {
    return [...this.#vms.values()].map(reportOf);
  }

  /** size is how many VMs this agent holds. */
  get size(): number {
    return this.#vms.size;
  }

  /** load fills memory from the sidecars without reconciling (local commands; the service runs recover). */
  async load(): Promise<void> {
    const scan = await this.#o.sidecars.scan();
    for (const s of scan.sidecars) this.#vms.set(s.vm_id, s);
  }

  /** recover rebuilds state from sidecars and the backend before anything is reported. */
  recover(opts: { restartStopped?: boolean } = {}): Promise<RecoveryReport> {
    return recoverVms(
      {
        backend: this.#o.backend,
        sidecars: this.#o.sidecars,
        log: this.#o.log,
        track: (s) => this.#vms.set(s.vm_id, s),
        save: (s) => this.save(s),
        forget: (s, o) => this.forget(s, o),
      },
      opts,
    );
  }

  /** snapshot reads the node's live figures for a heartbeat: VM states, free memory per node, VM stats. */
  async snapshot(): Promise<NodeSnapshot> {
    await this.refreshStates().catch((err) => this.#o.log.warn('cannot read domain states', { err }));
    const idByName = new Map([...this.#vms.values()].map((s) => [s.name, s.vm_id]));
    return readSnapshot({
      topology: this.#o.topology,
      sysRoot: this.#o.sysRoot ?? '/',
      backend: this.#o.backend,
      idByName,
    });
  }

  /** hostView is the live picture validation checks a new spec against. */
  hostView(exceptVmId?: string): HostView {
    return {
      topology: this.#o.topology,
      hostReservedCpus: this.#o.hostReservedCpus,
      imagesDir: this.#o.imagesDir,
      ...(this.#o.allowedBaseDirs ? { allowedBaseDirs: this.#o.allowedBaseDirs } : {}),
      vms: [...this.#vms.values()]
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
   * refreshStates reads instance states from the backend into memory for heartbeats. It never writes
   * a sidecar: a spawn or destroy may be rewriting or removing it right now (recovery re-observes anyway).
   */
  async refreshStates(): Promise<void> {
    const byName = new Map((await this.#o.backend.list()).map((d) => [d.name, d.state]));
    for (const s of [...this.#vms.values()]) {
      // creating, lost and recorded failures are the agent's own findings: the backend must not overwrite them
      const settled =
        s.observed_state === 'creating' || s.observed_state === 'lost' || s.failure !== undefined;
      if (settled || s.desired_state === 'destroyed') continue;
      const next = observedOf(byName.get(s.name));
      if (next !== s.observed_state && this.#vms.get(s.vm_id) === s)
        this.#vms.set(s.vm_id, { ...s, observed_state: next });
    }
  }

  /** drain waits for the spawn or destroy in progress (and those queued) to finish or roll back. */
  drain(): Promise<void> {
    return this.#chain.then(() => undefined);
  }

  private async save(s: Sidecar): Promise<Sidecar> {
    const stored = await this.#o.sidecars.write(s);
    this.#vms.set(stored.vm_id, stored);
    return stored;
  }

  // forget removes a VM's instance, files, sidecar and folder after rollback or destroy (disks kept on request)
  private async forget(s: Sidecar, opts: { keepDisk?: boolean } = {}): Promise<void> {
    await this.#o.backend.remove(s.spec, { vmId: s.vm_id, ...opts });
    await this.#o.sidecars.remove(s.spec.disk_path);
    await removeEmptyDir(dirname(s.spec.disk_path));
    this.#vms.delete(s.vm_id);
  }

  private async spawnNow(
    spec: SpawnSpec,
    onStep: (phase: SpawnPhase) => void,
    ctx: SpawnContext,
  ): Promise<VmReport> {
    const vmId = spec.vm_id ?? randomUUID();
    const log = this.#o.log.child({ vm_id: vmId, vm_name: spec.name, vmid: spec.vmid, ...ctx.logFields });
    log.info('vm spawn received', { vcpu_count: spec.tuning.vcpu_pins.length, memory_mb: spec.memory_mb });
    const existing = this.#vms.get(vmId);
    // a repeated spawn of a VM already made (coordinator retry after reconnect) answers with what exists
    if (existing && existing.phase === 'done') return reportOf(existing);
    validateSpawn(spec, this.hostView(vmId));
    await this.checkUnclaimed(spec);
    log.info('vm spawn validated', {
      numa_node: spec.tuning.numa_memory.nodeset,
      pins: spec.tuning.vcpu_pins.join(','),
    });
    await checkDiskSize(spec);
    // 0711: QEMU (libvirt-qemu) must enter the VM's folder; nobody else may list it
    await mkdir(dirname(spec.disk_path), { recursive: true, mode: VM_DIR_MODE }).catch((err: unknown) => {
      throw new VmpoolError('vm_dir_create_failed', 'Cannot create the VM folder', {
        cause: err,
        retryable: (err as NodeJS.ErrnoException).code === 'ENOSPC',
        details: { errno: (err as NodeJS.ErrnoException).code },
      });
    });
    failpoint('spawn:accepted');
    const network = await this.planNetwork(spec, vmId);
    let s = await this.save({
      ...newSidecar({ ...spec, vm_id: vmId }, { vm_id: vmId, phase: 'accepted', now: Date.now() }),
      ...(network ? { network: { ...network, addresses: [...network.addresses] } } : {}),
    }).catch(async (err: unknown) => {
      // no sidecar means nothing to roll back but the folder just made (e.g. ENOSPC on the first write)
      await removeEmptyDir(dirname(spec.disk_path));
      throw err;
    });
    failpoint('spawn:accepted:recorded');
    const started = performance.now();
    let stepStart = started;
    try {
      await this.#o.backend.create(s.spec, {
        vmId,
        ...(network ? { network } : {}),
        from: 'accepted',
        onPhase: async (phase) => {
          s = await this.save({ ...s, phase });
          const seconds = (performance.now() - stepStart) / 1000;
          log.info('vm spawn step done', { step: phase, duration_ms: Math.round(seconds * 1000) });
          this.#o.observeStep?.(phase, seconds, true);
          stepStart = performance.now();
          onStep(phase);
        },
      });
      const made = await this.#o.backend.lookup(spec.name);
      s = await this.save({
        ...s,
        phase: 'done',
        observed_state: 'running',
        domain_uuid: made?.uuid ?? null,
      });
      log.info('vm spawned', {
        numa_node: spec.tuning.numa_memory.nodeset,
        pins: spec.tuning.vcpu_pins.join(','),
        duration_ms: Math.round(performance.now() - started),
      });
      return reportOf(s);
    } catch (err) {
      // s.phase is the last step that succeeded: the one that failed is the next
      const failed = SPAWN_PHASES[SPAWN_PHASES.indexOf(s.phase) + 1] ?? s.phase;
      this.#o.observeStep?.(failed, (performance.now() - stepStart) / 1000, false);
      // the coordinator's answer names the failing step (agent/link wireError)
      if (err instanceof Error) Object.assign(err, { step: failed });
      log.error(`vm spawn failed at step ${failed}, rolling back`, {
        err,
        step: failed,
        last_done: s.phase,
      });
      await this.forget(s).catch(async (undoErr: unknown) => {
        // keep it visible as failed (never `creating` forever); the next destroy or recovery retries
        log.error('rollback failed', { err: undoErr });
        const failure = { code: 'rollback_failed', message: errorMessage(undoErr) };
        await this.save({ ...s, observed_state: 'failed', failure }).catch(() => undefined);
      });
      throw err;
    }
  }

  /** planNetwork asks the backend for the VM's MAC and SSH forward, avoiding ports other VMs hold. */
  private async planNetwork(spec: SpawnSpec, vmId: string): Promise<VmNetworkPlan | undefined> {
    if (!this.#o.backend.planNetwork) return undefined;
    const taken = new Set(
      [...this.#vms.values()].flatMap((s) => (s.network?.ssh_port !== undefined ? [s.network.ssh_port] : [])),
    );
    return this.#o.backend.planNetwork(spec, vmId, taken);
  }

  /**
   * checkUnclaimed refuses a name the backend already has (maybe a VM vmpool never made) and a disk
   * path whose sidecar survives from another VM (its disk may be lost, but the path is still taken).
   */
  private async checkUnclaimed(spec: SpawnSpec): Promise<void> {
    if (await this.#o.backend.lookup(spec.name)) {
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

  private async destroyNow(ref: string, opts: { keepDisk?: boolean }, ctx: SpawnContext): Promise<void> {
    const found = this.#vms.get(ref) ?? [...this.#vms.values()].find((s) => s.name === ref);
    if (!found) throw new VmNotFoundError(ref);
    // the choice to keep the disk is recorded too, so a crash mid-destroy cannot lose a kept disk
    const s = await this.save({ ...found, desired_state: 'destroyed', keep_disk: opts.keepDisk ?? false });
    failpoint('destroy:recorded');
    // no guest answered ACPI in time: remove() forces it off
    await this.#o.backend.stop(s.name, this.#o.shutdownTimeoutMs ?? 10_000);
    failpoint('destroy:stopped');
    await this.forget(s, opts);
    this.#o.log.info('vm destroyed', {
      vm_id: s.vm_id,
      vm_name: s.name,
      vmid: s.spec.vmid,
      ...ctx.logFields,
    });
  }

  private async powerNow(ref: string, op: PowerOp, timeoutMs: number): Promise<VmReport> {
    const found = this.#vms.get(ref) ?? [...this.#vms.values()].find((s) => s.name === ref);
    if (!found || found.desired_state === 'destroyed') throw new VmNotFoundError(ref);
    const b = this.#o.backend;
    let s = await this.save({ ...found, desired_state: op === 'stop' ? 'stopped' : 'running' });
    if (op !== 'start') {
      await b.stop(s.name, timeoutMs);
      // the guest did not answer ACPI in time: force it off, keeping the definition and disks
      if ((await b.lookup(s.name))?.state === 'running') await b.powerOff(s.name);
    }
    if (op !== 'stop' && (await b.lookup(s.name))?.state !== 'running') await b.start(s.name);
    const inst = await b.lookup(s.name);
    s = await this.save({ ...s, observed_state: observedOf(inst?.state) });
    this.#o.log.info('vm power changed', { vm_id: s.vm_id, vm_name: s.name, op, state: s.observed_state });
    return reportOf(s);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}

/** checkDiskSize refuses a root disk smaller than its base image's virtual size, naming both, before anything is made. */
async function checkDiskSize(spec: SpawnSpec): Promise<void> {
  const bytes = await imageVirtualSize(spec.base_image_path).catch(() => null);
  if (bytes === null || spec.disk_size_gb * 1024 ** 3 >= bytes) return;
  throw new SpawnValidationError(
    'disk_too_small',
    'disk_size_gb',
    `Cannot spawn VM: disk_size_gb ${spec.disk_size_gb} is smaller than the base image (${(bytes / 1024 ** 3).toFixed(2)} GiB)`,
  );
}

/** observedOf maps an instance state (or its absence) to a sidecar's observed state. */
export function observedOf(state: InstanceState | undefined): Sidecar['observed_state'] {
  return state ?? 'unknown';
}

/** removeEmptyDir drops the VM's folder when the spawn made it and nothing else lives there. */
export async function removeEmptyDir(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
}
