import { dirname, join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import type { SpawnOrder, VmReport } from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { HostTopology } from '../../shared/topology.js';
import type { VmBackend } from '../backends/backend.js';
import type { SidecarStore } from '../sidecar/store.js';
import type { Sidecar, SpawnPhase } from '../sidecar/schema.js';
import type { HostView } from '../validate/host-view.js';
import { checkOrderBaseImage } from '../validate/path-rules.js';
import { GuestWatcher } from './guest-watch.js';
import { removeKeptDisks } from './kept-disks.js';
import {
  destroyVm,
  observedOf,
  withObserved,
  type PowerOp,
  powerVm,
  removeEmptyDir,
  VmNotFoundError,
} from './lifecycle.js';
import { type RecoveryReport, recoverVms } from './recovery.js';
import { reportOf } from './report.js';
import { type ResizeOrder, resizeVm } from './resize.js';
import { resolveSpawnOrder } from './resolve.js';
import { type NodeSnapshot, readSnapshot } from './snapshot.js';
import { type SpawnContext, spawnVm } from './spawn.js';
import { readTail } from './tail.js';

export { observedOf, type PowerOp, removeEmptyDir, type SpawnContext, VmNotFoundError };

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
  /** guestWatch tunes how running guests are followed to `ready` (when the backend can ask guests) */
  guestWatch?: { intervalMs?: number; timeoutMs?: number };
}

/** VmManager is the node's spawn authority: it owns the sidecars and every VM vmpool made on the backend. */
export class VmManager {
  readonly #vms = new Map<string, Sidecar>();
  readonly #o: VmManagerOptions;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #guests: GuestWatcher | null;

  constructor(o: VmManagerOptions) {
    this.#o = o;
    const guest = o.backend.guest;
    this.#guests = guest ? new GuestWatcher({ guest, log: o.log, ...o.guestWatch }) : null;
  }

  /** spawn validates, then runs the backend's create; on any failure everything made so far is undone. */
  spawn(
    spec: SpawnSpec,
    onStep: (phase: SpawnPhase) => void = () => undefined,
    ctx: SpawnContext = {},
  ): Promise<VmReport> {
    return this.serial(async () => {
      const report = await spawnVm(this.spawnDeps(), spec, onStep, ctx);
      await this.watchGuest(report.vm_id);
      return this.reportFor(this.#vms.get(report.vm_id)) ?? report;
    });
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
    return this.serial(async () => {
      const found = this.find(ref);
      if (!found) throw new VmNotFoundError(ref);
      this.#guests?.forget(found.vm_id);
      const deps = { ...this.lifecycleDeps(), shutdownTimeoutMs: this.#o.shutdownTimeoutMs ?? 10_000 };
      await destroyVm(deps, found, opts, ctx.logFields);
    });
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
    return this.serial(async () => {
      const found = this.find(ref);
      if (!found || found.desired_state === 'destroyed') throw new VmNotFoundError(ref);
      this.#guests?.forget(found.vm_id);
      const report = await powerVm(this.lifecycleDeps(), found, op, timeoutMs);
      if (report.state === 'running') await this.watchGuest(report.vm_id);
      return this.reportFor(this.#vms.get(report.vm_id)) ?? report;
    });
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
    const s = this.find(ref);
    if (!s) throw new VmNotFoundError(ref);
    return readTail(join(dirname(s.spec.disk_path), 'console.log'), maxBytes);
  }

  /** reports lists every VM this agent holds, for hello and heartbeats. */
  reports(): VmReport[] {
    return [...this.#vms.values()].map((s) => this.reportFor(s)!);
  }

  /** closeGuests stops following guests (the agent is shutting down). */
  closeGuests(): void {
    this.#guests?.close();
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
  async recover(opts: { restartStopped?: boolean } = {}): Promise<RecoveryReport> {
    const report = await recoverVms(
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
    // a restarted agent follows its running guests again; a ready one answers on the first look
    for (const s of this.#vms.values()) if (s.observed_state === 'running') void this.watchGuest(s.vm_id);
    return report;
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
    const byName = new Map((await this.#o.backend.list()).map((d) => [d.name, d]));
    for (const s of [...this.#vms.values()]) {
      // creating, lost and recorded failures are the agent's own findings: the backend must not overwrite them
      const settled =
        s.observed_state === 'creating' || s.observed_state === 'lost' || s.failure !== undefined;
      if (settled || s.desired_state === 'destroyed') continue;
      const next = withObserved(s, byName.get(s.name));
      const changed = next.observed_state !== s.observed_state || next.observed_reason !== s.observed_reason;
      if (changed && this.#vms.get(s.vm_id) === s) this.#vms.set(s.vm_id, next);
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

  private find(ref: string): Sidecar | undefined {
    return this.#vms.get(ref) ?? [...this.#vms.values()].find((s) => s.name === ref);
  }

  private reportFor(s: Sidecar | undefined): VmReport | undefined {
    return s && reportOf(s, this.#guests?.status(s.vm_id));
  }

  private async watchGuest(vmId: string): Promise<void> {
    const s = this.#vms.get(vmId);
    if (s && this.#guests) await this.#guests.watch({ vm_id: s.vm_id, name: s.name, mac: s.network?.mac });
  }

  private spawnDeps() {
    return {
      backend: this.#o.backend,
      vms: this.#vms,
      log: this.#o.log,
      observeStep: this.#o.observeStep,
      hostView: (id: string) => this.hostView(id),
      save: (s: Sidecar) => this.save(s),
      forget: (s: Sidecar) => this.forget(s),
    };
  }

  private lifecycleDeps() {
    const forget = (s: Sidecar, o?: { keepDisk?: boolean }) => this.forget(s, o);
    return { backend: this.#o.backend, log: this.#o.log, save: (s: Sidecar) => this.save(s), forget };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
