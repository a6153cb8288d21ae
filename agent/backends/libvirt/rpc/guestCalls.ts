import { LibvirtCallFailure } from '../binding/failure.js';
import type { GuestInterface } from '../hypervisor.js';
import { PROC, QEMU, QEMU_PROC_DOMAIN_AGENT_COMMAND } from './programs.js';
import { rpc, type RpcSession } from './session.js';
import { type RemoteDomain, writeDomain } from './types.js';
import { XdrWriter } from './xdr.js';

// Metadata and guest-facing procedures: metadata elements, the QEMU guest agent, interface addresses.

const IFACE_MAX = 2048;
const none = (): null => null;

/** MetadataTarget picks the metadata element (type), its namespace and live/config flags. */
export interface MetadataTarget {
  readonly type: number;
  readonly uri: string;
  readonly flags: number;
}

/** domainGetMetadata returns the element under uri; VIR_ERR_NO_DOMAIN_METADATA (80) when absent. */
export function domainGetMetadata(s: RpcSession, dom: RemoteDomain, t: MetadataTarget): Promise<string> {
  const args = writeDomain(new XdrWriter(), dom).int(t.type).optString(t.uri).uint(t.flags);
  return rpc(s, PROC.DOMAIN_GET_METADATA, args, {
    symbol: 'virDomainGetMetadata',
    decode: (r) => r.string(),
  });
}

/** domainSetMetadata stores metadata under uri with prefix key. */
export async function domainSetMetadata(
  s: RpcSession,
  dom: RemoteDomain,
  t: MetadataTarget & { metadata: string; key: string },
): Promise<void> {
  const args = writeDomain(new XdrWriter(), dom).int(t.type).optString(t.metadata).optString(t.key);
  await rpc(s, PROC.DOMAIN_SET_METADATA, args.optString(t.uri).uint(t.flags), {
    symbol: 'virDomainSetMetadata',
    decode: none,
  });
}

/** domainQemuAgentCommand sends one guest agent command (JSON) and returns its JSON answer; timeout in seconds. */
export async function domainQemuAgentCommand(
  s: RpcSession,
  dom: RemoteDomain,
  cmd: string,
  timeoutS: number,
): Promise<string> {
  const symbol = 'virDomainQemuAgentCommand';
  const args = writeDomain(new XdrWriter(), dom).string(cmd).int(timeoutS).uint(0);
  const result = await rpc(s, QEMU_PROC_DOMAIN_AGENT_COMMAND, args, {
    symbol,
    prog: QEMU,
    decode: (r) => r.optString(),
  });
  if (result === null) throw new LibvirtCallFailure(symbol, 0, 0, `${symbol} failed without a libvirt error`);
  return result;
}

/** domainInterfaceAddresses lists the interfaces libvirt finds from source (0 lease, 1 agent, 2 arp). */
export function domainInterfaceAddresses(
  s: RpcSession,
  dom: RemoteDomain,
  source: number,
): Promise<GuestInterface[]> {
  return rpc(s, PROC.DOMAIN_INTERFACE_ADDRESSES, writeDomain(new XdrWriter(), dom).uint(source).uint(0), {
    symbol: 'virDomainInterfaceAddresses',
    decode: (r) =>
      r.array(IFACE_MAX, 12, (x) => {
        const name = x.string();
        const hwaddr = x.optString();
        const addresses = x.array(IFACE_MAX, 12, (a) => {
          const type = a.int();
          const address = a.string();
          return { family: type === 1 ? ('ipv6' as const) : ('ipv4' as const), address, prefix: a.uint() };
        });
        return { name, hwaddr: hwaddr?.toLowerCase() ?? null, addresses };
      }),
  });
}
