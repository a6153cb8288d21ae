import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_TESTS } from '../shared/testing-env.js';
import { type FakeHost, makeFakeHost, startFakeAgent, vmRequest, waitNodesReady } from './helpers/fleet.js';
import {
  type Coordinator,
  createTenant,
  freePort,
  type Proc,
  ROOT,
  requireBuild,
  startCoordinator,
  waitFor,
} from './helpers/procs.js';

// Metrics tier: both programs' /metrics pass `promtool check metrics`, the shipped alert rules pass
// `promtool check rules`, and a real Prometheus (Debian's package, loopback) scrapes both and
// answers PromQL for spawn duration and VMs by state. The agent runs on libvirt's test driver.

const hasProm =
  spawnSync('promtool', ['--version']).status === 0 && spawnSync('prometheus', ['--version']).status === 0;

let coord: Coordinator;
let agent: Proc;
let host: FakeHost;
let agentMetrics: string;
let prom: ChildProcess | undefined;
let promUrl: string;
let promDir: string;

beforeAll(async () => {
  if (!hasProm) return;
  requireBuild();
  coord = await startCoordinator({ args: ['--min-heartbeat-ms', '1000'] });
  host = await makeFakeHost('prom');
  const port = await freePort();
  agentMetrics = `http://127.0.0.1:${port}/metrics`;
  agent = startFakeAgent(coord, 'prom-node', host, ['--metrics-listen', `127.0.0.1:${port}`]);
  await waitNodesReady(coord, ['prom-node'], () => agent.out());
  const tenant = await createTenant(coord, 'prom');
  const r = await coord.api('POST', '/v1/vms?wait=true', {
    token: tenant.token,
    body: vmRequest('prom-1', 2, 1024),
  });
  if (r.status !== 201) throw new Error(`spawn: ${r.status} ${JSON.stringify(r.body)}\n${agent.out()}`);
});

afterAll(async () => {
  prom?.kill('SIGKILL');
  await agent?.kill();
  await coord?.kill();
  for (const dir of [host?.imagesDir, coord?.dataDir, promDir])
    if (dir) await rm(dir, { recursive: true, force: true });
});

function promtool(args: string[], input?: string) {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', cwd: ROOT });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

describe.skipIf(!hasProm && !STRICT_TESTS)('metrics an operator can alert on', () => {
  it.each([
    ['coordinator', () => `${coord.url}/metrics`],
    ['agent', () => agentMetrics],
  ])('the %s /metrics passes promtool check metrics', async (_name, url) => {
    const text = await (await fetch(url())).text();
    expect(text).toContain('process_resident_memory_bytes');
    const r = promtool(['check', 'metrics'], text);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('the shipped alert rules pass promtool check rules', () => {
    const r = promtool(['check', 'rules', 'deploy/prometheus/vmpool-rules.yml']);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('a real Prometheus scrapes both; PromQL finds spawn duration and VMs by state', async () => {
    promDir = await mkdtemp(join(tmpdir(), 'vmpool-prom-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const config = `global: { scrape_interval: 1s }
scrape_configs:
  - job_name: vmpool-coordinator
    static_configs: [{ targets: ['${new URL(coord.url).host}'] }]
  - job_name: vmpool-agent
    static_configs: [{ targets: ['${new URL(agentMetrics).host}'] }]
`;
    await writeFile(join(promDir, 'prometheus.yml'), config);
    prom = spawn(
      'prometheus',
      [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(async () => (await fetch(`${promUrl}/-/ready`)).ok, {
      timeoutMs: 30_000,
      what: 'prometheus ready',
    });
    const spawns = await waitFor(
      async () => {
        const r = await query('vmpool_spawn_seconds_count{result="ok"}');
        return r.length ? r : null;
      },
      { timeoutMs: 30_000, what: 'spawn duration scraped' },
    );
    expect(spawns?.[0]?.value[1]).toBe('1');
    const byState = await query('sum by (state) (vmpool_vms)');
    expect(Object.fromEntries(byState.map((s) => [s.metric.state, s.value[1]]))).toMatchObject({
      running: '1',
      creating: '0',
      unknown: '0',
    });
    const p90 = await query('histogram_quantile(0.9, sum by (le) (vmpool_spawn_seconds_bucket))');
    expect(Number(p90[0]!.value[1])).toBeGreaterThan(0);
    const steps = await waitFor(
      async () => {
        const r = await query('sum by (step) (vmpool_agent_spawn_step_seconds_count{result="ok"})');
        return r.length ? r : null;
      },
      { timeoutMs: 30_000, what: 'agent step durations scraped' },
    );
    expect(steps?.map((s) => s.metric.step).sort()).toEqual(
      ['defined', 'extra_disks', 'overlay', 'seed_iso', 'started', 'verified'].sort(),
    );
    const up = await query('up');
    expect(up.map((u) => [u.metric.job, u.value[1]]).sort()).toEqual([
      ['vmpool-agent', '1'],
      ['vmpool-coordinator', '1'],
    ]);
  });
});
