import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileFleet, startHostileFleet } from './helpers/hostile-fleet.js';
import { type Party, rawCall, smallVm, snapshot } from './helpers/http-raw.js';
import { ADMIN_TOKEN, type Coordinator, JOIN_TOKEN } from './helpers/procs.js';

// Table-driven hostile suite over every endpoint, through a real coordinator process. The nodes are
// FakeAgents over real WebSockets (a mock: spawns are answered at once, no libvirt), since only the
// coordinator's HTTP edge is under test. Every refused request must leave VMs, tenants and bands as
// they were.

let coord: Coordinator;
let a: Party;
let b: Party;

let fleet: HostileFleet | undefined;

beforeAll(async () => {
  fleet = await startHostileFleet('hostile');
  ({ coord, a, b } = fleet);
});

afterAll(async () => {
  await fleet?.stop();
});

type Case = [string, string, string, () => string | null, string | undefined, number, string | null];

/** PROTO_IDS are ids that name Object.prototype members: a lookup by them must find nothing. */
const PROTO_IDS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

const cases = (): Case[] => [
  // cross-tenant: B acting on A's VM sees nothing
  ["B reads A's VM", 'GET', `/v1/vms/${a.vm}`, () => b.token, undefined, 404, 'not_found'],
  ["B destroys A's VM", 'DELETE', `/v1/vms/${a.vm}`, () => b.token, undefined, 404, 'not_found'],
  [
    "B keeps A's disks",
    'DELETE',
    `/v1/vms/${a.vm}?keep_disk=true`,
    () => b.token,
    undefined,
    404,
    'not_found',
  ],
  [
    'A keeps its own disks (admin-only)',
    'DELETE',
    `/v1/vms/${a.vm}?keep_disk=true`,
    () => a.token,
    undefined,
    403,
    'forbidden',
  ],
  ["B reads A's tenant", 'GET', `/v1/tenants/${a.id}`, () => b.token, undefined, 404, 'not_found'],
  [
    'B renames A',
    'PATCH',
    `/v1/tenants/${a.id}`,
    () => b.token,
    JSON.stringify({ name: 'x' }),
    404,
    'not_found',
  ],
  ['B deletes A', 'DELETE', `/v1/tenants/${a.id}`, () => b.token, undefined, 404, 'not_found'],
  ["B rotates A's token", 'POST', `/v1/tenants/${a.id}/token`, () => b.token, '{}', 404, 'not_found'],
  ["B revokes A's token", 'DELETE', `/v1/tenants/${a.id}/token`, () => b.token, undefined, 404, 'not_found'],
  ['B lists tenants', 'GET', '/v1/tenants', () => b.token, undefined, 404, 'not_found'],
  [
    'B creates a tenant',
    'POST',
    '/v1/tenants',
    () => b.token,
    JSON.stringify({ name: 'evil', quota: { vcpus: 1, memory_mb: 64, vms: 1 } }),
    404,
    'not_found',
  ],
  ['B reads nodes', 'GET', '/v1/nodes', () => b.token, undefined, 404, 'not_found'],
  ['B reads a node', 'GET', '/v1/nodes/hostile-1', () => b.token, undefined, 404, 'not_found'],
  [
    'B removes a node',
    'DELETE',
    '/v1/nodes/hostile-1?purge=true',
    () => b.token,
    undefined,
    404,
    'not_found',
  ],
  ['B rotates the join token', 'POST', '/v1/join-token', () => b.token, '{}', 404, 'not_found'],
  ['B reads the audit', 'GET', '/v1/audit', () => b.token, undefined, 404, 'not_found'],
  ['B verifies the audit', 'GET', '/v1/audit/verify', () => b.token, undefined, 404, 'not_found'],
  ['B reads bands', 'GET', '/v1/vmid-bands', () => b.token, undefined, 404, 'not_found'],
  // no or wrong token: uniform 401
  ['no token lists VMs', 'GET', '/v1/vms', () => null, undefined, 401, 'unauthorized'],
  ['join token as bearer', 'GET', '/v1/vms', () => JOIN_TOKEN, undefined, 401, 'unauthorized'],
  ['no token destroys', 'DELETE', `/v1/vms/${a.vm}`, () => null, undefined, 401, 'unauthorized'],
  ['no token creates a tenant', 'POST', '/v1/tenants', () => null, '{}', 401, 'unauthorized'],
  // malformed and oversized bodies
  ['not JSON', 'POST', '/v1/vms', () => a.token, '{"name":', 400, null],
  ['JSON array', 'POST', '/v1/vms', () => a.token, '[]', 422, null],
  ['unknown key', 'POST', '/v1/vms', () => a.token, JSON.stringify(smallVm('u', { evil: 1 })), 422, null],
  ['__proto__ key', 'POST', '/v1/vms', () => a.token, '{"__proto__":{"admin":true},"name":"p"}', 422, null],
  [
    'constructor key',
    'POST',
    '/v1/tenants',
    () => ADMIN_TOKEN,
    '{"constructor":{"prototype":{"x":1}}}',
    422,
    null,
  ],
  [
    'bridge ".."',
    'POST',
    '/v1/vms',
    () => a.token,
    JSON.stringify(smallVm('br', { network: { bridge: '..' } })),
    422,
    null,
  ],
  [
    '16 TiB + 8×64 TiB disks',
    'POST',
    '/v1/vms',
    () => a.token,
    JSON.stringify(smallVm('big', { disk_size_gb: 16384, extra_disks: Array(8).fill({ size_gb: 65536 }) })),
    403,
    'quota_exceeded',
  ],
  [
    'oversized body',
    'POST',
    '/v1/vms',
    () => a.token,
    JSON.stringify(smallVm('o', { pad: 'x'.repeat(300_000) })),
    413,
    'payload_too_large',
  ],
  ['dry-run unknown key', 'POST', '/v1/placements/dry-run', () => b.token, '{"x":1}', 422, null],
  [
    'bad tenant patch',
    'PATCH',
    `/v1/tenants/${a.id}`,
    () => ADMIN_TOKEN,
    '{"quota":{"vcpus":-1}}',
    422,
    null,
  ],
  ['empty tenant patch', 'PATCH', `/v1/tenants/${a.id}`, () => ADMIN_TOKEN, '{}', 422, null],
  ['bad query', 'GET', '/v1/audit?limit=-5', () => ADMIN_TOKEN, undefined, 422, null],
  ['unknown query key', 'DELETE', `/v1/vms/${a.vm}?force=1`, () => a.token, undefined, 422, null],
  // prototype-key ids on every id route (tenant ids have a fixed shape: 422 before any lookup)
  ...PROTO_IDS.flatMap((id): Case[] => [
    [`GET vm ${id}`, 'GET', `/v1/vms/${id}`, () => a.token, undefined, 404, null],
    [`DELETE vm ${id}`, 'DELETE', `/v1/vms/${id}`, () => ADMIN_TOKEN, undefined, 404, null],
    [`GET tenant ${id}`, 'GET', `/v1/tenants/${id}`, () => ADMIN_TOKEN, undefined, 422, 'validation_failed'],
    [
      `PATCH tenant ${id}`,
      'PATCH',
      `/v1/tenants/${id}`,
      () => ADMIN_TOKEN,
      '{"name":"z"}',
      422,
      'validation_failed',
    ],
    [
      `DELETE tenant ${id}`,
      'DELETE',
      `/v1/tenants/${id}`,
      () => ADMIN_TOKEN,
      undefined,
      422,
      'validation_failed',
    ],
    [
      `rotate token ${id}`,
      'POST',
      `/v1/tenants/${id}/token`,
      () => ADMIN_TOKEN,
      '{}',
      422,
      'validation_failed',
    ],
    [`GET node ${id}`, 'GET', `/v1/nodes/${id}`, () => ADMIN_TOKEN, undefined, 404, null],
    [`DELETE node ${id}`, 'DELETE', `/v1/nodes/${id}`, () => ADMIN_TOKEN, undefined, 404, null],
  ]),
];

describe('hostile requests over every endpoint', () => {
  it('each case is refused with its status, a problem body, and no state change', async () => {
    const failures: string[] = [];
    for (const [what, method, path, token, body, status, code] of cases()) {
      const before = await snapshot(coord);
      const r = await rawCall(coord, {
        method,
        path,
        token: token(),
        ...(body !== undefined ? { body } : {}),
      });
      const after = await snapshot(coord);
      if (r.status !== status)
        failures.push(`${what}: ${method} ${path} → ${r.status} ${r.text.slice(0, 200)}`);
      else if (code && r.body?.code !== code)
        failures.push(`${what}: code ${String(r.body?.code)} (want ${code})`);
      else if (typeof r.body?.code !== 'string') failures.push(`${what}: no problem code`);
      if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`${what}: state changed`);
    }
    expect(failures).toEqual([]);
    expect(coord.child.exitCode).toBeNull();
  });

  it('lists and dry-runs are filtered to the caller', async () => {
    const listA = (await coord.api('GET', '/v1/vms', { token: a.token })).body.vms as {
      id: string;
      tenant: string;
    }[];
    expect(listA.map((v) => v.id)).toEqual([a.vm]);
    const listB = (await coord.api('GET', '/v1/vms', { token: b.token })).body.vms as { id: string }[];
    expect(listB.map((v) => v.id)).toEqual([b.vm]);
    const me = (await coord.api('GET', '/v1/tenant', { token: b.token })).body;
    expect(me.id).toBe(b.id);
    expect(JSON.stringify(me)).not.toContain(a.id);
    const dry = await coord.api('POST', '/v1/placements/dry-run', { token: b.token, body: smallVm('d') });
    expect(dry.status).toBe(200);
    expect(JSON.stringify(dry.body)).not.toContain(a.id);
    expect(JSON.stringify(dry.body)).not.toContain(a.vm);
  });

  it('the audit still verifies after every refused write', async () => {
    expect((await coord.api('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });
});
