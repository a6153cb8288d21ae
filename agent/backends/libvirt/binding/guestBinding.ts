import koffi from 'koffi';
import type { GuestInterface } from '../hypervisor.js';
import { checkPtr, checkRc, remote } from './callFailure.js';
import type { LibvirtSymbols, Ptr } from './symbols.js';

// Guest-facing calls on a domain handle the caller owns: the QEMU guest agent and interface addresses.
// Same naming rule as binding.ts: the C symbol without `vir`.

/** domainQemuAgentCommand sends one guest agent command (JSON) and returns its JSON answer; timeout in seconds. */
export async function domainQemuAgentCommand(
  sym: LibvirtSymbols,
  dom: Ptr,
  cmd: string,
  timeoutS: number,
): Promise<string> {
  return checkPtr(
    sym,
    'virDomainQemuAgentCommand',
    await remote(sym, sym.virDomainQemuAgentCommand, dom, cmd, timeoutS, 0),
  );
}

// struct _virDomainInterface { char *name; char *hwaddr; unsigned int naddrs; virDomainIPAddressPtr addrs; }
// struct _virDomainIPAddress { int type; char *addr; unsigned int prefix; } (24 bytes on LP64)
const IP_ADDRESS_SIZE = 24;

function decodeInterface(iface: Ptr): GuestInterface {
  const name = koffi.decode(iface, 0, 'const char *') as string | null;
  const hwaddr = koffi.decode(iface, 8, 'const char *') as string | null;
  const naddrs = koffi.decode(iface, 16, 'unsigned int') as number;
  const addrs = koffi.decode(iface, 24, 'void *') as Ptr | null;
  const addresses: { family: 'ipv4' | 'ipv6'; address: string; prefix: number }[] = [];
  for (let i = 0; addrs !== null && i < naddrs; i++) {
    const off = i * IP_ADDRESS_SIZE;
    const type = koffi.decode(addrs, off, 'int') as number;
    const addr = koffi.decode(addrs, off + 8, 'const char *') as string | null;
    const prefix = koffi.decode(addrs, off + 16, 'unsigned int') as number;
    if (addr !== null) addresses.push({ family: type === 1 ? 'ipv6' : 'ipv4', address: addr, prefix });
  }
  return { name: name ?? '', hwaddr: hwaddr?.toLowerCase() ?? null, addresses };
}

/** domainInterfaceAddresses decodes every interface libvirt finds from `source` (0 lease, 1 agent, 2 arp), then frees them. */
export async function domainInterfaceAddresses(
  sym: LibvirtSymbols,
  dom: Ptr,
  source: number,
): Promise<GuestInterface[]> {
  const out: [Ptr | null] = [null];
  const count = checkRc(
    sym,
    'virDomainInterfaceAddresses',
    await remote(sym, sym.virDomainInterfaceAddresses, dom, out, source, 0),
  );
  if (out[0] === null) return [];
  const handles = count === 0 ? [] : (koffi.decode(out[0], 'void *', count) as Ptr[]);
  try {
    return handles.map(decodeInterface);
  } finally {
    for (const iface of handles) sym.virDomainInterfaceFree(iface);
    sym.free(out[0]);
  }
}
