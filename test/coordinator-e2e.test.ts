import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../coordinator/vms/view.js';
import { domainExists, virshEmulatorPin, virshNumatune, virshPins, vmRequest } from './helpers/fleet.js';
import { type Coordinator, createTenant, waitFor } from './helpers/procs.js';
import { type RealNode, startRealNode } from './helpers/real-node.js';

// The whole path for real: HTTP → coordinator → WebSocket → agent → libvirtd + QEMU/KVM, and back.
// Every VM name carries MARK so afterAll can find leftovers in libvirt.

const MARK = 'e2ecoord';
let node: RealNode;
let coord: Coordinator;
let imagesDir: string;
let tenant: { id: string; token: string };
let other: { id: string; token: string };

const logs = () => node?.logs(4000) ?? '';

beforeAll(async () => {
  node = await startRealNode({ nodeId: 'e2e-real', prefix: 'e2e-real', mark: MARK });
  ({ coord, imagesDir } = node);
  tenant = await createTenant(coord, 'e2e-main');
  other = await createTenant(coord, 'e2e-other');
});

afterAll(async () => {
  await node?.stop();
});

describe('coordinator and a real-libvirt agent', () => {
  let vm: VmView;

  it('creates a running VM whose libvirt pinning matches the response', async () => {
    const r = await coord.api('POST', '/v1/vms', {
      token: tenant.token,
      body: vmRequest(`${MARK}-main`, 2, 128),
    });
    expect(r.status, JSON.stringify(r.body) + logs()).toBe(201);
    vm = r.body;
    expect(vm).toMatchObject({
      state: 'running',
      node_id: 'e2e-real',
      numa_node: 0,
      vcpu_count: 2,
      memory_mb: 128,
    });
    expect(await virshPins(vm.domain_name)).toEqual(vm.vcpu_pins.map((t: number) => [t]));
    expect(await virshEmulatorPin(vm.domain_name)).toEqual(
      vm.emulator_cpuset.length ? vm.emulator_cpuset : [...vm.vcpu_pins].sort(),
    );
    expect(await virshNumatune(vm.domain_name)).toEqual({ mode: 'strict', nodeset: vm.memory_nodeset });
  });

  it('shows the VM with its node, NUMA node, pins and state', async () => {
    const r = await coord.api('GET', `/v1/vms/${vm.id}`, { token: tenant.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: vm.id,
      node_id: 'e2e-real',
      numa_node: 0,
      vcpu_pins: vm.vcpu_pins,
      state: 'running',
    });
  });

  it('shows live per-VM stats from the node heartbeats (libvirt domain stats, never stored)', async () => {
    const stats = await waitFor(
      async () => (await coord.api('GET', `/v1/vms/${vm.id}`, { token: tenant.token })).body.stats,
      { timeoutMs: 15_000, what: 'per-VM stats in a heartbeat' },
    );
    expect(stats['cpu.time']).toBeGreaterThan(0);
    expect(stats['vcpu.current']).toBe(vm.vcpu_pins.length);
    // The store is a snapshot plus journal segments (state.json, state.json.journal.N): none holds stats.
    const stored = (await readdir(coord.dataDir)).filter((f) => f.startsWith('state.json'));
    expect(stored.length).toBeGreaterThan(0);
    for (const f of stored) expect(await readFile(join(coord.dataDir, f), 'utf8')).not.toContain('cpu.time');
  });

  it('hides the VM from another tenant: 404 on GET and DELETE', async () => {
    const get = await coord.api('GET', `/v1/vms/${vm.id}`, { token: other.token });
    const del = await coord.api('DELETE', `/v1/vms/${vm.id}`, { token: other.token });
    expect([get.status, get.body.code, del.status, del.body.code]).toEqual([
      404,
      'not_found',
      404,
      'not_found',
    ]);
    expect((await coord.api('GET', '/v1/vms', { token: other.token })).body.vms).toEqual([]);
    expect(await domainExists(vm.domain_name)).toBe(true);
  });

  it.each<[string, { token?: string; body?: string }, number, string]>([
    ['no token', { token: '' }, 401, 'unauthorized'],
    ['a wrong token', { token: 'not-a-real-token-000000' }, 401, 'unauthorized'],
    ['bad JSON', { body: '{"name":' }, 400, 'bad_request'],
    ['an empty body', { body: '' }, 400, 'bad_request'],
    ['a 300 KiB body', { body: JSON.stringify({ name: 'x'.repeat(300 * 1024) }) }, 413, 'payload_too_large'],
  ])('answers POST /v1/vms with %s as problem+json', async (_what, opts, status, code) => {
    const res = await fetch(`${coord.url}/v1/vms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.token ?? tenant.token}`, 'content-type': 'application/json' },
      body: opts.body ?? '{}',
    });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status, code });
  });

  it('closes the connection after a 413, so a kept-alive client can send its next request', async () => {
    const huge = await coord.api('POST', '/v1/vms', {
      token: tenant.token,
      body: { name: 'y'.repeat(400 * 1024) },
    });
    const next = await coord.api('GET', '/v1/vms', { token: tenant.token });
    expect([huge.status, next.status]).toEqual([413, 200]);
  });

  it('answers an invalid body with 422 and field paths', async () => {
    const r = await coord.api('POST', '/v1/vms', {
      token: tenant.token,
      body: { ...vmRequest(`${MARK}-bad`, 0, 128), placement: { cpu_policy: 'both' } },
    });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('validation_failed');
    const paths = r.body.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['vcpu_count', 'placement.cpu_policy']));
  });

  it('answers a request over quota with 403 quota_exceeded', async () => {
    const small = await createTenant(coord, 'e2e-small', { vcpus: 1, memory_mb: 1024, vms: 5 });
    const r = await coord.api('POST', '/v1/vms', {
      token: small.token,
      body: vmRequest(`${MARK}-quota`, 2, 128),
    });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'quota_exceeded', resource: 'vcpus', limit: 1 });
  });

  it('answers a VM too big for any node with 409 no_capacity: one sentence for the tenant, per-pass reasons for the admin', async () => {
    const r = await coord.api('POST', '/v1/vms', {
      token: tenant.token,
      body: vmRequest(`${MARK}-huge`, 64, 128),
    });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'no_capacity', shortfall: 'never_fits' });
    expect(r.body.reason).toMatch(/^never fits: the largest NUMA node has \d+ threads and \d+ MiB for VMs$/);
    expect(JSON.stringify(r.body)).not.toContain('e2e-real');
    const admin = await coord.api('POST', '/v1/placements/dry-run', {
      body: vmRequest(`${MARK}-huge`, 64, 128),
    });
    expect(admin.body.passes[0]).toMatchObject({ pass: 1, ran: true, candidates: [] });
    expect(admin.body.passes[0].rejected).toEqual([
      expect.objectContaining({ node_id: 'e2e-real', reason: 'capacity_vcpu' }),
    ]);
    expect(admin.body.passes[1].pass).toBe(2);
    expect((await coord.api('GET', '/v1/vms', { token: tenant.token })).body.vms).toHaveLength(1);
  });

  it('destroys the VM: 204, domain gone from libvirt, folder gone from the images dir', async () => {
    expect(existsSync(join(imagesDir, 'vms', vm.id))).toBe(true);
    const r = await coord.api('DELETE', `/v1/vms/${vm.id}`, { token: tenant.token });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect(await domainExists(vm.domain_name)).toBe(false);
    expect(existsSync(join(imagesDir, 'vms', vm.id))).toBe(false);
    expect((await coord.api('GET', `/v1/vms/${vm.id}`, { token: tenant.token })).status).toBe(404);
  });

  it('honours Idempotency-Key: the same VM twice, 201 then 200', async () => {
    const body = vmRequest(`${MARK}-idem`, 1, 128);
    const headers = { 'idempotency-key': `${MARK}-key-1` };
    const first = await coord.api('POST', '/v1/vms', { token: tenant.token, body, headers });
    const second = await coord.api('POST', '/v1/vms', { token: tenant.token, body, headers });
    expect([first.status, second.status], JSON.stringify(first.body) + logs()).toEqual([201, 200]);
    expect(second.body.id).toBe(first.body.id);
    const reused = await coord.api('POST', '/v1/vms', {
      token: tenant.token,
      body: { ...body, memory_mb: 256 },
      headers,
    });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect((await coord.api('DELETE', `/v1/vms/${first.body.id}`, { token: tenant.token })).status).toBe(204);
  });

  it('answers ?wait=false with 202, then the VM becomes running', async () => {
    const r = await coord.api('POST', '/v1/vms?wait=false', {
      token: tenant.token,
      body: vmRequest(`${MARK}-async`, 1, 128),
    });
    expect(r.status).toBe(202);
    expect(r.body.state).toBe('creating');
    const running = await waitFor(
      async () => {
        const g = await coord.api('GET', `/v1/vms/${r.body.id}`, { token: tenant.token });
        return g.body.state === 'running' ? g.body : null;
      },
      { what: `VM ${r.body.id} running\n${logs()}` },
    );
    expect(await domainExists(running.domain_name)).toBe(true);
    expect((await coord.api('DELETE', `/v1/vms/${r.body.id}`, { token: tenant.token })).status).toBe(204);
    expect(await domainExists(running.domain_name)).toBe(false);
  });

  it('keeps a verifiable audit log listing every operation', async () => {
    const verify = await coord.api('GET', '/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true });
    const audit = await coord.api('GET', `/v1/audit?tenant=${tenant.id}`);
    const ops = audit.body.entries.map(
      (e: { op: string; vm: string | null; result: string }) => `${e.op}:${e.result}`,
    );
    expect(ops).toEqual(
      expect.arrayContaining(['tenant.create:ok', 'vm.create:claimed', 'vm.create:running', 'vm.destroy:ok']),
    );
    expect(
      audit.body.entries.filter((e: { vm: string }) => e.vm === vm.id).map((e: { op: string }) => e.op),
    ).toEqual(expect.arrayContaining(['vm.create', 'vm.destroy']));
    expect(verify.body.entries).toBeGreaterThanOrEqual(audit.body.entries.length);
    expect((await coord.api('GET', '/v1/audit', { token: tenant.token })).status).toBe(404);
  });

  it('serves Prometheus metrics and the VMID band table', async () => {
    const text = await (await fetch(`${coord.url}/metrics`)).text();
    expect(text).toMatch(/^vmpool_heartbeats_total \d+/m);
    expect(text).toMatch(/^vmpool_nodes\{state="ready"\} 1$/m);
    expect(text).toMatch(/^vmpool_http_requests_total\{method="POST",status="201"\} \d+/m);
    const bands = await coord.api('GET', '/v1/vmid-bands');
    expect(bands.status).toBe(200);
    // used 0: every VM this file made was destroyed, and none came back through a late heartbeat
    expect(bands.body.bands).toEqual([
      expect.objectContaining({ name: 'default', from: 100, to: 999_999, used: 0, available: 999_900 }),
    ]);
  });
});
