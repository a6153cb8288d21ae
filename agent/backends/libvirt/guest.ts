import { isIP } from 'node:net';
import type { GuestAddresses, GuestQueries } from '../backend.js';
import { VmpoolError } from '../../../shared/errors.js';
import { isLibvirtError, VIR_ERR } from './binding/index.js';
import type { AddressSource, GuestInterface, Hypervisor } from './hypervisor.js';

/** AGENT_TIMEOUT_S bounds each guest agent call; the libvirt queue is held for at most this long. */
const AGENT_TIMEOUT_S = 5;
/** ADDRESS_SOURCES are tried in order: the guest's own word first, then what the host saw. */
const ADDRESS_SOURCES: readonly AddressSource[] = ['agent', 'lease', 'arp'];

interface AgentAnswer<T> {
  return?: T;
}

/** GuestUnsupportedError: this libvirt driver cannot reach guest agents, so readiness is never known. */
export class GuestUnsupportedError extends VmpoolError {
  constructor() {
    super('guest_agent_unsupported', 'Cannot ask the guest: this libvirt driver has no guest agent access');
    this.name = 'GuestUnsupportedError';
  }
}

/**
 * LibvirtGuestQueries asks guests through libvirt: the QEMU guest agent (virDomainQemuAgentCommand,
 * run on libuv's thread pool, never on the event loop) and virDomainInterfaceAddresses.
 */
export class LibvirtGuestQueries implements GuestQueries {
  constructor(private readonly hv: Hypervisor) {}

  /**
   * agentAlive pings the guest agent; libvirt fails at once while the agent's channel is not
   * connected. A driver without guest agent support (libvirt's test driver) is a GuestUnsupported.
   */
  async agentAlive(name: string): Promise<boolean> {
    try {
      await this.command(name, { execute: 'guest-ping' });
      return true;
    } catch (err) {
      if (isLibvirtError(err, VIR_ERR.NO_SUPPORT) || isLibvirtError(err, VIR_ERR.OPERATION_UNSUPPORTED))
        throw new GuestUnsupportedError();
      return false;
    }
  }

  /** startProgram runs guest-exec (PATH is searched in the guest) and returns the pid. */
  async startProgram(name: string, path: string, args: readonly string[]): Promise<number> {
    const answer = await this.command<{ pid: number }>(name, {
      execute: 'guest-exec',
      arguments: { path, arg: [...args], 'capture-output': true },
    });
    if (typeof answer?.pid !== 'number') throw new Error('guest-exec answered without a pid');
    return answer.pid;
  }

  /** programExit reads guest-exec-status: null while the program runs, else its exit code (-1 for a signal) and output tail. */
  async programExit(name: string, pid: number): Promise<{ code: number; output: string } | null> {
    type Status = { exited: boolean; exitcode?: number; 'out-data'?: string; 'err-data'?: string };
    const s = await this.command<Status>(name, { execute: 'guest-exec-status', arguments: { pid } });
    if (!s?.exited) return null;
    const text = (b64?: string) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : '');
    return { code: s.exitcode ?? -1, output: (text(s['out-data']) + text(s['err-data'])).slice(-2000) };
  }

  /** addresses reads the NIC with this MAC from each source in turn; the first source with an address wins. */
  async addresses(name: string, mac: string): Promise<GuestAddresses | null> {
    const hv = this.hv;
    if (!hv.interfaceAddresses) return null;
    for (const source of ADDRESS_SOURCES) {
      const ifaces = await hv.interfaceAddresses(name, source).catch(() => []);
      const addresses = usableAddresses(ifaces, mac);
      if (addresses.length) return { source, addresses };
    }
    return null;
  }

  private async command<T>(name: string, cmd: object): Promise<T | undefined> {
    if (!this.hv.agentCommand) throw new Error('this hypervisor has no guest agent access');
    const text = await this.hv.agentCommand(name, JSON.stringify(cmd), AGENT_TIMEOUT_S);
    return (JSON.parse(text) as AgentAnswer<T>).return;
  }
}

/** usableAddresses keeps the addresses of the NIC with this MAC, without loopback and link-local ones. */
export function usableAddresses(ifaces: readonly GuestInterface[], mac: string): string[] {
  const nic = ifaces.filter((i) => i.hwaddr === mac.toLowerCase());
  // the guest agent is the tenant's program: only well-formed IP addresses pass, at most 16
  return nic
    .flatMap((i) => i.addresses.map((a) => a.address))
    .filter((a) => isIP(a) !== 0 && !/^(127\.|::1$|fe80:|169\.254\.)/i.test(a))
    .slice(0, 16);
}
