import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedThreads } from './helpers/fleet.js';
import { type HostileFleet, startHostileFleet } from './helpers/hostile-fleet.js';
import { type Party, type RawRequest, rawCall, smallVm, snapshot, TENANT_QUOTA } from './helpers/http-raw.js';
import { ADMIN_TOKEN, type Coordinator, JOIN_TOKEN, waitFor } from './helpers/procs.js';

// fast-check drives random HTTP requests (methods, paths with prototype keys, queries, bodies,
// headers, and admin / tenant A / tenant B / no token) at a real coordinator process. Nodes are
// FakeAgents over real WebSockets (a mock: spawns answered at once, no libvirt). After every request:
// no 5xx, the process lives; after a refused one, VMs, tenants and bands are unchanged; at the end
// the audit verifies, no two dedicated VMs share a thread and no tenant is over any quota.

/** FUZZ_RUNS is how many random requests one CI run sends (reported in the closing note). */
const FUZZ_RUNS = Number(process.env.VMPOOL_HTTP_FUZZ_RUNS ?? 400);
let coord: Coordinator;
let a: Party;
let b: Party;

let fleet: HostileFleet | undefined;

beforeAll(async () => {
  fleet = await startHostileFleet('fuzz');
  ({ coord, a, b } = fleet);
});

afterAll(async () => {
  await fleet?.stop();
});

const PROTO = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];

function requestArb(): fc.Arbitrary<RawRequest> {
  const id = fc.oneof(
    fc.constantFrom(...PROTO, a.vm, b.vm, a.id, b.id, 'fuzz-1', '..', '%2e%2e', '%00', 'x'.repeat(200)),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
  );
  const path = fc.oneof(
    fc.constantFrom('/v1/vms', '/v1/tenants', '/v1/tenant', '/v1/nodes', '/v1/join-token'),
    fc.constantFrom('/v1/placements/dry-run', '/v1/vmid-bands', '/v1/audit', '/v1/audit/verify'),
    id.map((x) => `/v1/vms/${x}`),
    id.map((x) => `/v1/tenants/${x}`),
    id.map((x) => `/v1/tenants/${x}/token`),
    id.map((x) => `/v1/nodes/${x}`),
    id.map((x) => `/v1/${x}`),
  );
  const query = fc.constantFrom(
    '',
    '',
    '?keep_disk=true',
    '?keep_disk=maybe',
    '?wait=false',
    '?purge=true',
    '?limit=-1',
    '?limit=abc',
    '?__proto__=1',
    '?constructor[prototype]=1',
    '?tenant=__proto__',
  );
  const vmBody = fc
    .record({
      name: fc.oneof(
        fc.constantFrom('v1', 'v2', 'constructor', '__proto__', '..'),
        fc.string({ maxLength: 8 }),
      ),
      vcpu_count: fc.integer({ min: -1, max: 12 }),
      memory_mb: fc.constantFrom(32, 512, 1024, 9000),
      disk_size_gb: fc.constantFrom(1, 2, 30, 100_000),
      image: fc.constantFrom('debian', '../etc/passwd', 'base/../x'),
      placement: fc.constantFrom({ cpu_policy: 'shared' }, { cpu_policy: 'dedicated' }, { evil: 1 }),
      vmid: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }),
    })
    .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))));
  const body = fc.oneof(
    vmBody,
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 60 }),
    fc.constantFrom(
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"admin":true}}}',
      '{"name":"t-fuzz","quota":{"vcpus":1,"memory_mb":64,"vms":1}}',
      '{"quota":{"vcpus":-1,"memory_mb":1,"vms":1}}',
      '{"name":"fuzz-a"}',
    ),
  );
  return fc.record({
    method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
    path: fc.tuple(path, query).map(([p, q]) => p + q),
    token: fc.constantFrom<string | null>(ADMIN_TOKEN, 'A', 'B', null, 'vmp_forged', JOIN_TOKEN),
    body: fc.option(body, { nil: undefined }),
    headers: fc.constantFrom<Record<string, string>>(
      {},
      { 'content-type': 'text/plain' },
      { 'x-request-id': '"; DROP TABLE audit; --' },
      { 'idempotency-key': '__proto__' },
    ),
  });
}

/** wellFormedArb is requests a real client sends, so the fuzz also changes state: `{vm}` is one current VM. */
function wellFormedArb(): fc.Arbitrary<RawRequest> {
  const create = fc
    .record({
      name: fc.constantFrom('w1', 'w2', 'w3', 'w4', 'w5'),
      vcpu_count: fc.integer({ min: 1, max: 3 }),
      placement: fc.constantFrom({ cpu_policy: 'shared' }, { cpu_policy: 'dedicated' }),
    })
    .map((r) => JSON.stringify(smallVm(r.name, r)));
  const raise = fc
    .record({
      vcpus: fc.integer({ min: TENANT_QUOTA.vcpus, max: 16 }),
      memory_mb: fc.integer({ min: TENANT_QUOTA.memory_mb, max: 16384 }),
      vms: fc.integer({ min: TENANT_QUOTA.vms, max: 8 }),
      disk_gb: fc.integer({ min: TENANT_QUOTA.disk_gb, max: 80 }),
    })
    .map((quota) => JSON.stringify({ quota }));
  const tenant = fc.constantFrom<string | null>('A', 'B');
  return fc.oneof(
    fc.record({
      method: fc.constant('POST'),
      path: fc.constantFrom('/v1/vms', '/v1/vms?wait=false'),
      token: tenant,
      body: create,
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/v1/placements/dry-run'),
      token: tenant,
      body: create,
    }),
    fc.record({
      method: fc.constant('DELETE'),
      path: fc.constantFrom('/v1/vms/{vm}', '/v1/vms/{vm}?keep_disk=true'),
      token: fc.constantFrom<string | null>('A', 'B', ADMIN_TOKEN),
    }),
    fc.record({
      method: fc.constant('GET'),
      path: fc.constantFrom('/v1/vms/{vm}', '/v1/vms', '/v1/tenant'),
      token: tenant,
    }),
    fc.record({
      method: fc.constant('PATCH'),
      path: fc.constantFrom('/v1/tenants/{A}', '/v1/tenants/{B}'),
      token: fc.constant(ADMIN_TOKEN),
      body: raise,
    }),
  );
}

/** resolve fills `{vm}` with a VM of the current snapshot (picked by pick) and `{A}`/`{B}` with tenant ids. */
function resolvePath(path: string, vms: { id: string }[], pick: number): string {
  const vm = vms.length ? vms[pick % vms.length]!.id : 'none';
  return path.replace('{vm}', vm).replace('{A}', a.id).replace('{B}', b.id);
}

const tokenOf = (t: string | null) => (t === 'A' ? a.token : t === 'B' ? b.token : t);

async function settled(): Promise<void> {
  await waitFor(
    async () => {
      const vms = (await coord.api('GET', '/v1/vms')).body.vms as { state: string }[];
      return vms.every((v) => v.state !== 'creating' && v.state !== 'destroying');
    },
    { timeoutMs: 5000, what: 'no VM in flight' },
  );
}

describe('fast-check HTTP fuzz against a real coordinator', () => {
  it(`${FUZZ_RUNS} random requests: no 5xx, no crash, no change on refusal`, async () => {
    // printed first, so a failure of the invariants below can be replayed with VMPOOL_FUZZ_SEED
    const seed = Number(process.env.VMPOOL_FUZZ_SEED ?? Date.now() % 2 ** 31);
    console.log(`http fuzz: seed ${seed}`);
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(requestArb(), wellFormedArb()), fc.nat(), async (req, pick) => {
        const before = await snapshot(coord);
        const path = resolvePath(req.path, before.vms as { id: string }[], pick);
        const r = await rawCall(coord, { ...req, path, token: tokenOf(req.token) });
        if (r.status < 400) accepted++;
        expect(r.status, `${req.method} ${path} → ${r.text.slice(0, 300)}`).toBeLessThan(500);
        expect(coord.child.exitCode, coord.out().slice(-2000)).toBeNull();
        if (r.status >= 400) {
          refused++;
          expect(await snapshot(coord), `${req.method} ${path} changed state`).toEqual(before);
        } else {
          await settled();
        }
      }),
      { numRuns: FUZZ_RUNS, seed },
    );
    console.log(`http fuzz: ${FUZZ_RUNS} requests, ${refused} refused, ${accepted} accepted`);
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });

  it('invariants hold afterwards: audit verifies, no shared threads, quotas kept', async () => {
    expect((await fetch(`${coord.url}/healthz`)).status).toBe(200);
    expect((await coord.api('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
    const vms = (await coord.api('GET', '/v1/vms')).body.vms;
    expect(sharedThreads(vms)).toEqual([]);
    for (const t of (await coord.api('GET', '/v1/tenants')).body.tenants as {
      id: string;
      quota: typeof TENANT_QUOTA;
    }[]) {
      const own = vms.filter((v: { tenant: string }) => v.tenant === t.id);
      expect(own.length).toBeLessThanOrEqual(t.quota.vms);
      const sum = (k: 'vcpu_count' | 'memory_mb') =>
        own.reduce((s: number, v: Record<string, number>) => s + v[k]!, 0);
      expect(sum('vcpu_count')).toBeLessThanOrEqual(t.quota.vcpus);
      expect(sum('memory_mb')).toBeLessThanOrEqual(t.quota.memory_mb);
    }
  });
});
