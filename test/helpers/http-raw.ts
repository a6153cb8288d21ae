import type { Coordinator } from './procs.js';

/** RawAnswer is one HTTP answer: status, raw text and the parsed body when it was JSON. */
export interface RawAnswer {
  status: number;
  text: string;
  body: Record<string, unknown> | null;
}

/** RawRequest is one request as a hostile client sends it: any method, path, body text and headers. */
export interface RawRequest {
  method: string;
  path: string;
  token: string | null;
  body?: string;
  headers?: Record<string, string>;
}

/** rawCall sends a request without the API client's checks; non-JSON answers keep body null. */
export async function rawCall(c: Coordinator, r: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...r.headers };
  if (r.token !== null) headers.authorization = `Bearer ${r.token}`;
  const res = await fetch(c.url + r.path, {
    method: r.method,
    headers,
    ...(r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD' ? { body: r.body } : {}),
  });
  const text = await res.text();
  let body: Record<string, unknown> | null = null;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    body = null;
  }
  return { status: res.status, text, body };
}

/** Snapshot is the admin's view of everything a request could change: VMs, tenants, band usage. */
export interface Snapshot {
  vms: { id: string }[];
  tenants: unknown;
  bands: unknown;
}

/** snapshot reads VMs, tenants and VMID bands as the admin (sorted, so order is not a change). */
export async function snapshot(c: Coordinator): Promise<Snapshot> {
  const get = async (path: string) => {
    const r = await c.api('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
    return r.body;
  };
  const byId = (rows: { id: string }[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  return {
    vms: byId((await get('/v1/vms')).vms),
    tenants: byId((await get('/v1/tenants')).tenants),
    bands: (await get('/v1/vmid-bands')).bands,
  };
}

/** Party is one tenant of the hostile fleet: id, token and one running VM's id. */
export interface Party {
  id: string;
  token: string;
  vm: string;
}

/** TENANT_QUOTA is each hostile-fleet tenant's quota (small, so the fuzz can hit every bound). */
export const TENANT_QUOTA = { vcpus: 8, memory_mb: 8192, vms: 4, disk_gb: 40 };

/** smallVm is a shared-policy create body that fits any fake node. */
export function smallVm(name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    vcpu_count: 1,
    memory_mb: 512,
    disk_size_gb: 2,
    image: 'debian',
    placement: { cpu_policy: 'shared' },
    ...over,
  };
}

/** makeParty creates a tenant through the admin API and one running VM it owns. */
export async function makeParty(c: Coordinator, name: string): Promise<Party> {
  const t = await c.api('POST', '/v1/tenants', { body: { name, quota: TENANT_QUOTA } });
  if (t.status !== 201) throw new Error(`tenant ${name}: ${t.status} ${JSON.stringify(t.body)}`);
  const vm = await c.api('POST', '/v1/vms', { token: t.body.token, body: smallVm(`${name}-vm`) });
  if (vm.status !== 201) throw new Error(`vm of ${name}: ${vm.status} ${JSON.stringify(vm.body)}`);
  return { id: t.body.id, token: t.body.token, vm: vm.body.id };
}
