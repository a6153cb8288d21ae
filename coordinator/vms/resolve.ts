import type { VmRecord } from '../store/index.js';
import { VmError } from './errors.js';
import { domainName } from './spec-builder.js';

/** Visibility is who asks: the admin sees every VM, a tenant only its own. */
export type Visibility = { kind: 'admin' } | { kind: 'tenant'; tenantId: string };

/** MIN_PREFIX is the shortest id prefix accepted, so a short name is never mistaken for an id. */
export const MIN_PREFIX = 4;

/**
 * resolveVm finds the one VM a reference names, the way operators address VMs: the id, a unique id
 * prefix, the name (unique per tenant), the VMID or the libvirt domain name. Forms are tried from
 * the most exact down; the first form that matches anything decides. No match is `not_found`
 * (another tenant's VM included); several matches are `ambiguous`, listing them.
 */
export function resolveVm(vms: Iterable<VmRecord>, ref: string, who: Visibility): VmRecord {
  const visible = [...vms].filter((v) => who.kind === 'admin' || v.tenant === who.tenantId);
  for (const form of FORMS) {
    const hits = visible.filter((v) => form.match(v, ref));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw ambiguous(ref, form.name, hits);
  }
  throw new VmError('not_found', `Cannot find VM "${ref}": no VM has that id, name, VMID or domain name`);
}

const FORMS: { name: string; match: (v: VmRecord, ref: string) => boolean }[] = [
  { name: 'id', match: (v, ref) => v.id === ref },
  { name: 'vmid', match: (v, ref) => /^\d+$/.test(ref) && v.vmid === Number(ref) },
  { name: 'domain name', match: (v, ref) => domainName(v.tenant, v.name) === ref },
  { name: 'name', match: (v, ref) => v.name === ref },
  { name: 'id prefix', match: (v, ref) => ref.length >= MIN_PREFIX && v.id.startsWith(ref) },
];

function ambiguous(ref: string, form: string, hits: VmRecord[]): VmError {
  const matches = hits.map((v) => ({ id: v.id, name: v.name, tenant: v.tenant, vmid: v.vmid }));
  const list = matches.map((m) => `${m.id} (${m.name}, tenant ${m.tenant}, vmid ${m.vmid})`).join('; ');
  return new VmError(
    'ambiguous',
    `Cannot pick a VM: "${ref}" matches ${hits.length} VMs by ${form}: ${list}`,
    {
      details: { matches },
    },
  );
}
