import { isVmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { GuestAddresses, GuestQueries } from '../backends/backend.js';

/** GuestState is how far a running VM's guest got: booting, ready (agent up, cloud-init done) or unready. */
export type GuestState = 'booting' | 'ready' | 'unready';

/** GuestStatus is what the agent reports of a guest; `code` says why it is unready. */
export interface GuestStatus {
  readonly state: GuestState;
  readonly code?: 'guest_ready_timeout' | 'cloud_init_failed';
  /** addresses the guest's NIC got, and their source (absent until found) */
  readonly addresses?: GuestAddresses;
}

/** WatchedVm names a VM to watch: its id, the backend's name for it and its MAC (when it has a NIC). */
export interface WatchedVm {
  readonly vm_id: string;
  readonly name: string;
  readonly mac?: string | undefined;
}

/** GuestWatcherOptions: the backend's guest queries, how often to ask and for how long at most. */
export interface GuestWatcherOptions {
  guest: GuestQueries;
  log: Logger;
  /** intervalMs between two looks at one guest (default 2 s) */
  intervalMs?: number;
  /** timeoutMs after which a guest that is still not ready is reported unready (default 15 min) */
  timeoutMs?: number;
  /** readyCommand is the program whose success means "cloud-init finished" (default `cloud-init status --wait`) */
  readyCommand?: readonly [string, ...string[]];
}

/** SLOW_LOOK_MS: a look longer than this backs the VM's looks off */
const SLOW_LOOK_MS = 2000;

// cloud-init's own "wait until every stage is done"; exit 0 done, 2 done with recoverable errors, 1 failed
const CLOUD_INIT_WAIT = ['cloud-init', 'status', '--wait', '--long'] as const;

interface Watch {
  readonly vm: WatchedVm;
  readonly deadline: number;
  status: GuestStatus;
  /** pid of the readiness program once started in the guest */
  pid: number | null;
  /** looks counts looks; lease and ARP are read every fifth look until the agent answers */
  looks: number;
  /** backoffMs grows while looks are slow (a guest agent that answers late holds the libvirt queue) */
  backoffMs: number;
  timer: NodeJS.Timeout | null;
}

/**
 * GuestWatcher follows each running VM's guest until it is ready: the guest agent answers, then
 * `cloud-init status --wait` (started once through the agent) exits 0. It also reads the NIC's
 * addresses (agent, else DHCP lease, else ARP). Every look is a short backend call; the waiting is
 * timers, so nothing blocks the event loop, and the libvirt calls run on the binding's worker.
 */
export class GuestWatcher {
  readonly #watches = new Map<string, Watch>();
  readonly #o: GuestWatcherOptions;
  /** unsupported: the backend said it cannot reach guest agents at all; nothing is watched after that */
  #unsupported = false;

  constructor(o: GuestWatcherOptions) {
    this.#o = o;
  }

  /**
   * watch starts (or restarts, e.g. after a reboot) following a VM's guest from `booting`; it resolves
   * after the first look, so a backend that cannot ask guests never shows a `booting` it cannot end.
   */
  async watch(vm: WatchedVm): Promise<void> {
    this.forget(vm.vm_id);
    if (this.#unsupported) return;
    const w: Watch = {
      vm,
      deadline: Date.now() + (this.#o.timeoutMs ?? 900_000),
      status: { state: 'booting' },
      pid: null,
      looks: 0,
      backoffMs: 0,
      timer: null,
    };
    this.#watches.set(vm.vm_id, w);
    await this.tick(w);
  }

  /** forget stops following a VM (destroyed or stopped); its status is gone. */
  forget(vmId: string): void {
    const w = this.#watches.get(vmId);
    if (w?.timer) clearTimeout(w.timer);
    this.#watches.delete(vmId);
  }

  /** status is the VM's guest status, or undefined when it is not followed. */
  status(vmId: string): GuestStatus | undefined {
    return this.#watches.get(vmId)?.status;
  }

  /** close stops every watch. */
  close(): void {
    for (const id of [...this.#watches.keys()]) this.forget(id);
  }

  private schedule(w: Watch, ms: number): void {
    w.timer = setTimeout(() => void this.tick(w), ms);
    w.timer.unref();
  }

  private async tick(w: Watch): Promise<void> {
    w.timer = null;
    const t0 = Date.now();
    try {
      await this.look(w);
    } catch (err) {
      if (isVmpoolError(err) && err.code === 'guest_agent_unsupported') {
        this.#o.log.info('guest readiness not watched: no guest agent access', { vm_id: w.vm.vm_id });
        this.#unsupported = true;
        this.close();
        return;
      }
      w.pid = null; // the agent went away (restart, reboot): start over from the ping
    }
    if (this.#watches.get(w.vm.vm_id) !== w || w.status.state !== 'booting') return;
    if (Date.now() >= w.deadline) return this.settle(w, { state: 'unready', code: 'guest_ready_timeout' });
    // a look that took long held the worker (a guest agent that answers late): look less often, up to 1 min
    w.backoffMs = Date.now() - t0 > SLOW_LOOK_MS ? Math.min(60_000, Math.max(4000, w.backoffMs * 2)) : 0;
    this.schedule(w, Math.max(this.#o.intervalMs ?? 2000, w.backoffMs));
  }

  // look asks one step further: addresses, then agent, then the readiness program's start and exit
  private async look(w: Watch): Promise<void> {
    const g = this.#o.guest;
    const name = w.vm.name;
    const alive = w.pid !== null || (await g.agentAlive(name));
    if (w.vm.mac && !w.status.addresses && (alive || w.looks++ % 5 === 0)) {
      const found = await g.addresses(name, w.vm.mac).catch(() => null);
      if (found) this.update(w, { ...w.status, addresses: found });
    }
    if (w.pid === null) {
      if (!alive) return;
      const [path, ...args] = this.#o.readyCommand ?? CLOUD_INIT_WAIT;
      w.pid = await g.startProgram(name, path, args);
    }
    const exit = await g.programExit(name, w.pid);
    if (exit === null) return;
    this.#o.log.info('guest cloud-init finished', {
      vm_id: w.vm.vm_id,
      exit_code: exit.code,
      output: exit.output.replace(/\s+/g, ' ').trim().slice(-500),
    });
    if (exit.code === 0 || exit.code === 2) {
      // the agent now answers for sure: its addresses are the guest's own word, so read them again
      const found = w.vm.mac ? await g.addresses(name, w.vm.mac).catch(() => null) : null;
      return this.settle(w, { state: 'ready', ...this.addressesOf(w, found) });
    }
    this.settle(w, { state: 'unready', code: 'cloud_init_failed', ...this.addressesOf(w, null) });
  }

  private addressesOf(w: Watch, found: GuestAddresses | null): Pick<GuestStatus, 'addresses'> {
    const addresses = found ?? w.status.addresses;
    return addresses ? { addresses } : {};
  }

  private settle(w: Watch, status: GuestStatus): void {
    this.update(w, status);
    const level = status.state === 'ready' ? 'info' : 'warn';
    this.#o.log[level](`guest ${status.state}`, {
      vm_id: w.vm.vm_id,
      vm_name: w.vm.name,
      ...(status.code ? { error_code: status.code } : {}),
      addresses: status.addresses?.addresses.join(',') ?? '',
    });
  }

  private update(w: Watch, status: GuestStatus): void {
    if (this.#watches.get(w.vm.vm_id) === w) w.status = status;
  }
}
