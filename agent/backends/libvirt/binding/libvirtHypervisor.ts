import type {
  AddressSource,
  DomainInfo,
  DomainStats,
  DomainSummary,
  GuestInterface,
  Hypervisor,
  NodeInfo,
  NumaTune,
} from '../hypervisor.js';
import { emulatorPinFromXml, numaTuneFromXml, vcpuPinsFromXml } from '../domain/pins.js';
import { isLibvirtError, VIR_ERR } from './errors.js';
import { daemonTarget } from '../rpc/target.js';
import type { OpClient } from './client.js';
import { ReconnectingClient } from './reconnect.js';

const DEFAULT_CALL_TIMEOUT_MS = 60_000;

function onDomain(verb: string, name: string): string {
  return `${verb} domain ${JSON.stringify(name)}`;
}

/**
 * LibvirtHypervisor is the Hypervisor over one libvirt connection: libvirtd's RPC protocol spoken
 * from JS for daemon URIs, or libvirt.so.0 in this process (its C calls on libuv's thread pool) for
 * in-process drivers. Either way the event loop never waits on libvirtd.
 */
export class LibvirtHypervisor implements Hypervisor {
  readonly uri: string;
  readonly #client: ReconnectingClient;
  // The test driver reports empty pin affinity; see domain/pins.ts.
  readonly #pinsFromXml: boolean;
  #closed = false;

  /** constructor takes an already-opened client; use openLibvirt. */
  constructor(uri: string, client: OpClient, opts: { pinSource?: PinSource } = {}) {
    this.uri = uri;
    this.#client = new ReconnectingClient(client, uri);
    this.#pinsFromXml = opts.pinSource === 'xml';
  }

  /** close closes the libvirt connection and the client; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#client.request('close', {}, `close connection ${JSON.stringify(this.uri)}`);
    } finally {
      await this.#client.terminate();
    }
  }

  /** capabilities returns the host capabilities XML. */
  capabilities(): Promise<string> {
    return this.#client.request('capabilities', {}, 'read host capabilities');
  }

  /** nodeInfo returns virNodeGetInfo as plain numbers. */
  nodeInfo(): Promise<NodeInfo> {
    return this.#client.request('nodeInfo', {}, 'read node info');
  }

  /** hostCpuCount returns how many host cpu ids exist (virNodeGetCPUMap), the width of every cpumap. */
  hostCpuCount(): Promise<number> {
    return this.#client.request('hostCpuCount', {}, 'read host cpu map');
  }

  /** listDomains lists every domain, running or not. */
  listDomains(): Promise<DomainSummary[]> {
    return this.#client.request('listDomains', {}, 'list domains');
  }

  /** lookupDomain resolves a domain by name; null when libvirt says VIR_ERR_NO_DOMAIN (42). */
  async lookupDomain(name: string): Promise<DomainSummary | null> {
    try {
      return await this.requireDomain(name);
    } catch (err) {
      if (isLibvirtError(err, VIR_ERR.NO_DOMAIN)) return null;
      throw err;
    }
  }

  /** requireDomain resolves a domain by name; rejects with LibvirtError (libvirtCode 42) when missing. */
  requireDomain(name: string): Promise<DomainSummary> {
    return this.#client.request('lookupDomain', { name }, onDomain('look up', name));
  }

  /** defineXml defines (or redefines) a persistent domain. */
  defineXml(xml: string): Promise<DomainSummary> {
    return this.#client.request('defineXml', { xml }, 'define domain');
  }

  /** start boots a defined domain. */
  async start(name: string): Promise<void> {
    await this.#client.request('start', { name }, onDomain('start', name));
  }

  /** suspend pauses a running domain (virDomainSuspend). */
  async suspend(name: string): Promise<void> {
    await this.#client.request('suspend', { name }, onDomain('suspend', name));
  }

  /** resume lets a paused domain run again (virDomainResume). */
  async resume(name: string): Promise<void> {
    await this.#client.request('resume', { name }, onDomain('resume', name));
  }

  /** shutdown asks the guest to power off; it returns before the guest is off. */
  async shutdown(name: string): Promise<void> {
    await this.#client.request('shutdown', { name }, onDomain('shut down', name));
  }

  /** destroy stops a running domain at once. */
  async destroy(name: string): Promise<void> {
    await this.#client.request('destroy', { name }, onDomain('destroy', name));
  }

  /** undefine removes the persistent definition (and managed save / nvram / snapshot metadata). */
  async undefine(name: string): Promise<void> {
    await this.#client.request('undefine', { name }, onDomain('undefine', name));
  }

  /** xmlDesc returns the live XML, or the persistent config with inactive. */
  xmlDesc(name: string, opts: { inactive?: boolean } = {}): Promise<string> {
    const inactive = opts.inactive ?? false;
    return this.#client.request('xmlDesc', { name, inactive }, onDomain('read XML of', name));
  }

  /** info returns virDomainGetInfo as plain numbers. */
  info(name: string): Promise<DomainInfo> {
    return this.#client.request('info', { name }, onDomain('read info of', name));
  }

  /** vcpuPins gives each vCPU's host cpus (live when running, else config). */
  async vcpuPins(name: string): Promise<number[][]> {
    if (!this.#pinsFromXml)
      return this.#client.request('vcpuPins', { name }, onDomain('read vCPU pins of', name));
    return vcpuPinsFromXml(await this.xmlDesc(name), await this.hostCpuCount());
  }

  /** emulatorPin gives the host cpus the emulator threads may use. */
  async emulatorPin(name: string): Promise<number[]> {
    if (!this.#pinsFromXml) {
      return this.#client.request('emulatorPin', { name }, onDomain('read emulator pin of', name));
    }
    return emulatorPinFromXml(await this.xmlDesc(name), await this.hostCpuCount());
  }

  /** numaTune gives the memory binding mode and nodeset. */
  async numaTune(name: string): Promise<NumaTune> {
    if (!this.#pinsFromXml)
      return this.#client.request('numaTune', { name }, onDomain('read numatune of', name));
    return numaTuneFromXml(await this.xmlDesc(name));
  }

  /** allDomainStats returns every domain's stats record, flattened. */
  allDomainStats(): Promise<DomainStats[]> {
    return this.#client.request('allDomainStats', {}, 'read domain stats');
  }

  /** getMetadata returns the element stored under nsUri, or null (VIR_ERR_NO_DOMAIN_METADATA). */
  getMetadata(name: string, nsUri: string): Promise<string | null> {
    return this.#client.request('getMetadata', { name, nsUri }, onDomain('read metadata of', name));
  }

  /** setMetadata stores xml under nsUri with prefix key, live and in the persistent config. */
  async setMetadata(name: string, opts: { xml: string; key: string; nsUri: string }): Promise<void> {
    const args = { name, xml: opts.xml, key: opts.key, nsUri: opts.nsUri };
    await this.#client.request('setMetadata', args, onDomain('write metadata of', name));
  }

  /** agentCommand runs one guest agent command (it holds the libvirt queue up to timeoutS). */
  agentCommand(name: string, cmd: string, timeoutS: number): Promise<string> {
    return this.#client.request(
      'agentCommand',
      { name, cmd, timeoutS },
      onDomain('ask the guest agent of', name),
    );
  }

  /** interfaceAddresses lists the guest's NICs and addresses from DHCP leases, the guest agent or ARP. */
  interfaceAddresses(name: string, source: AddressSource): Promise<GuestInterface[]> {
    return this.#client.request(
      'interfaceAddresses',
      { name, source },
      onDomain(`read ${source} addresses of`, name),
    );
  }
}

/**
 * PinSource says where pins and NUMA tuning are read back from: 'api' (virDomainGetVcpuPinInfo and
 * friends, the real drivers) or 'xml' (the live domain XML, for libvirt's test driver, whose pin
 * API reports empty affinity). The caller chooses; the binding never guesses from the URI.
 */
export type PinSource = 'api' | 'xml';

/**
 * LibvirtBackendKind says how the connection is made: 'rpc' speaks libvirtd's RPC protocol over its
 * unix socket (daemon URIs only: qemu:///system, <driver>+unix://…); 'koffi' loads libvirt.so.0 into
 * this process (any URI; test:///… needs it, the driver runs in-process); 'auto' picks 'rpc' when the
 * URI is a daemon URI, else 'koffi'.
 */
export type LibvirtBackendKind = 'auto' | 'rpc' | 'koffi';

/** OpenLibvirtOptions tunes the binding; callTimeoutMs bounds each operation's wait (queue included). */
export interface OpenLibvirtOptions {
  readonly callTimeoutMs?: number;
  /** pinSource defaults to 'api' */
  readonly pinSource?: PinSource;
  /** backend defaults to 'auto' */
  readonly backend?: LibvirtBackendKind;
}

// Both backends are imported lazily, so a process on a daemon URI never loads koffi or libvirt.so.
async function createClient(uri: string, opts: OpenLibvirtOptions): Promise<OpClient> {
  const timeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const backend = opts.backend ?? 'auto';
  const target = backend === 'koffi' ? null : daemonTarget(uri);
  if (target !== null) return (await import('../rpc/client.js')).createRpcClient({ target, timeoutMs });
  if (backend === 'rpc') throw new TypeError(`libvirt URI ${JSON.stringify(uri)} is not a local daemon URI`);
  return (await import('./koffiClient.js')).createKoffiClient(timeoutMs);
}

/** openLibvirt opens uri on the backend the options pick and returns the connected hypervisor. */
export async function openLibvirt(uri: string, opts: OpenLibvirtOptions = {}): Promise<LibvirtHypervisor> {
  const client = await createClient(uri, opts);
  try {
    await client.request('open', { uri }, `open libvirt connection ${JSON.stringify(uri)}`);
  } catch (err) {
    await client.terminate();
    throw err;
  }
  return new LibvirtHypervisor(uri, client, { pinSource: opts.pinSource ?? 'api' });
}
