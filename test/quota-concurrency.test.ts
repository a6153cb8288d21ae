import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PATH } from '../coordinator/link/server.js';
import { helloFor } from '../coordinator/registry/testing.js';
import { FakeAgent } from '../coordinator/testing/fake-agent.js';
import { type Coordinator, JOIN_TOKEN, requireBuild, startCoordinator } from './helpers/procs.js';

// 100 concurrent creates from one tenant through real HTTP against a real coordinator (fsynced
// store, keyed fsynced audit). The node is a FakeAgent over a real WebSocket that answers spawns at
// once (a mock: 100 real guests cannot run in CI); quotas are the coordinator's to keep.

let coord: Coordinator;
const agents: FakeAgent[] = [];
/** CREATES_PER_SECOND is measured by the throughput case and printed for the closing note. */
let createsPerSecond = 0;

beforeAll(async () => {
  requireBuild();
  // the per-token rate limit would otherwise cap the throughput figure
  coord = await startCoordinator({
    // fake nodes do not beat: keep them up for the whole file
    args: ['--rate-limit-per-second', '100000', '--min-heartbeat-ms', '600000'],
  });
  const url = `${coord.url.replace('http', 'ws')}${AGENT_PATH}`;
  for (const id of ['quota-a', 'quota-b', 'quota-c'])
    agents.push(await FakeAgent.connect(url, { joinToken: JOIN_TOKEN, hello: helloFor(id) }));
});

afterAll(async () => {
  for (const a of agents) await a.close();
  await coord?.kill();
  if (coord) await rm(coord.dataDir, { recursive: true, force: true });
  if (createsPerSecond) console.log(`create throughput: ${createsPerSecond.toFixed(1)} creates/s`);
});

type Quota = { vcpus: number; memory_mb: number; vms: number; disk_gb: number };

async function tenant(name: string, quota: Quota): Promise<string> {
  const r = await coord.api('POST', '/v1/tenants', { body: { name, quota } });
  if (r.status !== 201) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

function body(i: number) {
  return {
    name: `q-${i}`,
    vcpu_count: 1 + (i % 3),
    memory_mb: 512 * (1 + (i % 2)),
    disk_size_gb: 2 + (i % 4),
    extra_disks: i % 5 === 0 ? [{ size_gb: 3 }] : [],
    image: 'debian',
    placement: { cpu_policy: 'shared' },
  };
}

const diskOf = (b: ReturnType<typeof body>) =>
  b.disk_size_gb + b.extra_disks.reduce((a, d) => a + d.size_gb, 0);

describe('100 concurrent creates from one tenant never exceed any quota', () => {
  it.each([
    ['vms', { vms: 7, vcpus: 1000, memory_mb: 1_000_000, disk_gb: 100_000 }],
    ['vcpus', { vms: 100, vcpus: 13, memory_mb: 1_000_000, disk_gb: 100_000 }],
    ['memory_mb', { vms: 100, vcpus: 1000, memory_mb: 5120, disk_gb: 100_000 }],
    ['disk_gb', { vms: 100, vcpus: 1000, memory_mb: 1_000_000, disk_gb: 23 }],
  ] as const)('bound by %s', async (bound, quota) => {
    const token = await tenant(`quota-${bound.replace('_', '-')}`, quota);
    const bodies = Array.from({ length: 100 }, (_, i) => body(i));
    const answers = await Promise.all(bodies.map((b) => coord.api('POST', '/v1/vms', { token, body: b })));
    const ok = bodies.filter((_, i) => answers[i]!.status === 201);
    const refused = answers.filter((r) => r.status !== 201);
    expect(refused.every((r) => r.status === 403 && r.body.code === 'quota_exceeded')).toBe(true);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(ok.length).toBeLessThanOrEqual(quota.vms);
    expect(ok.reduce((a, b) => a + b.vcpu_count, 0)).toBeLessThanOrEqual(quota.vcpus);
    expect(ok.reduce((a, b) => a + b.memory_mb, 0)).toBeLessThanOrEqual(quota.memory_mb);
    expect(ok.reduce((a, b) => a + diskOf(b), 0)).toBeLessThanOrEqual(quota.disk_gb);
    const listed = (await coord.api('GET', '/v1/vms', { token })).body.vms as unknown[];
    expect(listed).toHaveLength(ok.length);
    const me = (await coord.api('GET', '/v1/tenant', { token })).body;
    expect(me.usage.vms).toBe(ok.length);
    expect(me.usage.disk_gb).toBe(ok.reduce((a, b) => a + diskOf(b), 0));
  });

  it('measures create throughput through HTTP with quota checks and the fsynced, keyed audit', async () => {
    const token = await tenant('throughput', {
      vms: 1000,
      vcpus: 100_000,
      memory_mb: 100_000_000,
      disk_gb: 1_000_000,
    });
    const n = 200;
    const t0 = performance.now();
    const statuses: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        statuses.push(
          (await coord.api('POST', '/v1/vms', { token, body: { ...body(i), name: `tp-${i}` } })).status,
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    createsPerSecond = n / ((performance.now() - t0) / 1000);
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect((await coord.api('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });
});
