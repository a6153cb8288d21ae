import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCall } from './helpers/http-raw.js';
import { type Coordinator, createTenant, requireBuild, startCoordinator } from './helpers/procs.js';

// 2,000 unauthenticated write attempts against a real coordinator process: every one answers 401,
// the audit log grows by the interval's first attempt only (the rest are counted into one summary
// entry written when the interval ends or the coordinator stops), and the coordinator stays healthy.

let coord: Coordinator;
const FLOOD = 2_000;
const auditLines = () => readFileSync(join(coord.dataDir, 'audit.log'), 'utf8').split('\n').length - 1;

beforeAll(async () => {
  requireBuild();
  coord = await startCoordinator({ args: ['--rate-limit-per-second', '100000'] });
  await createTenant(coord, 'flood-bystander');
});

afterAll(async () => {
  await coord?.kill();
  if (coord) await rm(coord.dataDir, { recursive: true, force: true });
});

describe('an unauthenticated flood', () => {
  it('answers 2,000 attempts with 401, grows the audit log by at most 2 entries, and stays healthy', async () => {
    const before = auditLines();
    const statuses = new Map<number, number>();
    const shapes = [
      { method: 'POST', path: '/v1/vms', token: null },
      { method: 'POST', path: '/v1/tenants', token: 'vmp_forged' },
      { method: 'DELETE', path: '/v1/vms/some-vm', token: 'not-a-token' },
      { method: 'PATCH', path: '/v1/tenants/t0123456789abcdef', token: null },
    ];
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < FLOOD) {
        const shape = shapes[next++ % shapes.length]!;
        const r = await rawCall(coord, { ...shape, body: '{"name":"x"}' });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    const healthy: number[] = [];
    const probe = (async () => {
      while (next < FLOOD) {
        healthy.push((await fetch(`${coord.url}/healthz`)).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await Promise.all([...Array.from({ length: 16 }, worker), probe]);
    const seconds = (performance.now() - started) / 1000;
    expect(Object.fromEntries(statuses)).toEqual({ 401: FLOOD });
    expect(healthy.length).toBeGreaterThan(0);
    expect(healthy.every((s) => s === 200)).toBe(true);
    expect(auditLines() - before).toBeLessThanOrEqual(2);
    expect(coord.child.exitCode).toBeNull();
    const verify = await coord.api('GET', '/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true });
    // the admin still gets through at once, and the log names the flood on a clean stop
    expect((await coord.api('GET', '/v1/tenants')).status).toBe(200);
    console.info(
      `unauth flood: ${FLOOD} requests in ${seconds.toFixed(2)} s (${(FLOOD / seconds).toFixed(0)}/s)`,
    );
    await coord.kill();
    const summary = readFileSync(join(coord.dataDir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; result: string })
      .filter((e) => e.op === 'unauthenticated.summary');
    expect(summary.map((e) => e.result)).toEqual([`rejected:unauthorized x${FLOOD - 1}`]);
  });
});
