import { createHash } from 'node:crypto';
import { el, type XmlNode } from './xmlnode.js';

/** VMPOOL_XMLNS is the namespace of vmpool's own <metadata> element; libvirt keys metadata by it. */
export const VMPOOL_XMLNS = 'https://vmpool.dev/xmlns/vm/1';
/** VMPOOL_XMLNS_PREFIX is the prefix vmpool writes (readers match the namespace, not the prefix). */
export const VMPOOL_XMLNS_PREFIX = 'vmpool';

/** VmpoolMetadata is what a domain says about itself so a lost sidecar can be rebuilt. */
export interface VmpoolMetadata {
  readonly id: string;
  readonly vmid?: number;
  readonly tenant?: string;
  readonly specSha256?: string;
  /** the spec fields libvirt's own XML cannot give back exactly, kept so a rebuilt sidecar is faithful */
  readonly cpuPolicy?: 'dedicated' | 'shared';
  readonly cpuMode?: 'default' | 'host-model' | 'host-passthrough' | 'maximum';
  readonly bridge?: string;
  /** mac is the NIC's address; sshPort the loopback port forwarded to the guest's SSH (user networking) */
  readonly mac?: string;
  readonly sshPort?: number;
}

/** specSha256 hashes the spec's canonical JSON (sorted keys) so key order never changes the digest. */
export function specSha256(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** metadataElement renders <metadata><vmpool:vm xmlns:vmpool=…> with the fields that are set. */
export function metadataElement(meta: VmpoolMetadata): XmlNode {
  const p = VMPOOL_XMLNS_PREFIX;
  return el(
    'metadata',
    {},
    el(
      `${p}:vm`,
      { [`xmlns:${p}`]: VMPOOL_XMLNS },
      el(`${p}:id`, {}, meta.id),
      meta.vmid !== undefined && el(`${p}:vmid`, {}, meta.vmid),
      meta.tenant !== undefined && el(`${p}:tenant`, {}, meta.tenant),
      meta.specSha256 !== undefined && el(`${p}:spec-sha256`, {}, meta.specSha256),
      meta.cpuPolicy !== undefined && el(`${p}:cpu-policy`, {}, meta.cpuPolicy),
      meta.cpuMode !== undefined && el(`${p}:cpu-mode`, {}, meta.cpuMode),
      meta.bridge !== undefined && el(`${p}:bridge`, {}, meta.bridge),
      meta.mac !== undefined && el(`${p}:mac`, {}, meta.mac),
      meta.sshPort !== undefined && el(`${p}:ssh-port`, {}, meta.sshPort),
    ),
  );
}
