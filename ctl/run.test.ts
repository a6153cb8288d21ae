import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from './run.js';
import { SEED_003_VM1 } from './testing/seed-003.js';
import { CANNED, type Canned } from './testing/canned.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  idempotencyKey: string | undefined;
  body: unknown;
}

let server: Server;
let url: string;
let seen: Seen[] = [];
let overrides: Record<string, Canned> = {};
const dir = mkdtempSync(join(tmpdir(), 'vmpoolctl-test-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const key = `${req.method} ${req.url}`;
      const pathKey = `${req.method} ${req.url!.split('?')[0]}`;
      seen.push({
        method: req.method!,
        url: req.url!,
        auth: req.headers.authorization,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        body: text ? JSON.parse(text) : undefined,
      });
      const canned = overrides[pathKey] ??
        CANNED[key] ??
        CANNED[pathKey] ?? { status: 404, problem: { code: 'not_found', detail: 'No such route' } };
      const problem = 'problem' in canned;
      res.writeHead(canned.status, {
        'content-type': problem ? 'application/problem+json' : 'application/json',
      });
      res.end(
        problem
          ? JSON.stringify({ status: canned.status, ...canned.problem })
          : canned.body === null
            ? ''
            : JSON.stringify(canned.body),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  overrides = {};
});

async function ctl(argv: string[], env: NodeJS.ProcessEnv = { VMPOOL_URL: url, VMPOOL_TOKEN: 'tok-123' }) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    env,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

describe('vmpoolctl run against a canned coordinator', () => {
  it('lists VMs as a table and sends the bearer token from VMPOOL_TOKEN', async () => {
    const r = await ctl(['list']);
    expect(r.code).toBe(0);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/vms', auth: 'Bearer tok-123' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+VMID\s+STATE\s+NODE\s+NUMA\s+vCPU\s+MEM MB\s+PINS$/);
    expect(lines[1]).toMatch(
      /^vm-1\s+k3s-worker-slm-heavy\s+1001\s+running\s+node-a\s+0\s+32\s+120832\s+0-15,36-51$/,
    );
  });

  it('prints the raw answer with --json', async () => {
    const r = await ctl(['--json', 'list']);
    expect(JSON.parse(r.stdout)).toEqual((CANNED['GET /v1/vms'] as { body: unknown }).body);
  });

  it('shows one VM with pins as a cpulist and the emulator cpuset', async () => {
    const r = await ctl(['show', 'vm-1', '--url', url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^vcpu pins:\s+0-15,36-51$/m);
    expect(r.stdout).toMatch(/^emulator cpuset:\s+16-17,52-53$/m);
    expect(r.stdout).toMatch(/^numa node:\s+0$/m);
  });

  it('spawns from flags: body, ?wait=false and the idempotency key reach the API', async () => {
    const r = await ctl([
      'spawn',
      '--name',
      'web-1',
      '--vcpus',
      '2',
      '--memory-mb',
      '2048',
      '--disk-gb',
      '10',
      '--image',
      'debian-12',
      '--tag',
      'a',
      '--tag',
      'b',
      '--no-wait',
      '--idempotency-key',
      'k1',
    ]);
    expect(r.code).toBe(0);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/vms?wait=false', idempotencyKey: 'k1' });
    expect(seen[0]!.body).toMatchObject({ name: 'web-1', vcpu_count: 2, memory_mb: 2048, tags: ['a', 'b'] });
  });

  it('spawns from a seed-003 spec file and notes that pins come from placement', async () => {
    const spec = join(dir, 'vm1.json');
    writeFileSync(spec, JSON.stringify(SEED_003_VM1));
    const r = await ctl(['spawn', '--spec', spec]);
    expect(r.code).toBe(0);
    expect(seen[0]).toMatchObject({
      url: '/v1/vms',
      body: { name: 'k3s-worker-slm-heavy', image: 'base', network: { bridge: 'br0' } },
    });
    expect(seen[0]!.body).not.toHaveProperty('tuning');
    expect(r.stderr).toContain('pins come from placement');
  });

  it('renders a no_capacity problem with every node reason and exits 1', async () => {
    overrides['POST /v1/vms'] = CANNED.noCapacity!;
    const r = await ctl([
      'spawn',
      '--name',
      'big',
      '--vcpus',
      '64',
      '--memory-mb',
      '2048',
      '--disk-gb',
      '10',
      '--image',
      'base',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('vmpoolctl: no_capacity: Cannot place VM: no node fits (2 nodes considered)');
    expect(r.stderr).toContain('  pass 1: node-a: numa_cpu_fit:');
    expect(r.stderr).toContain('  pass 2: node-r: capacity_vcpu:');
  });

  it('puts the problem body on stdout too when --json is given', async () => {
    const r = await ctl(['--json', 'show', 'nope']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'not_found', status: 404 });
    expect(r.stderr).toBe('vmpoolctl: not_found: No such route\n');
  });

  it('shows a dry-run decision and per-pass reasons; exits 1 when nothing fits', async () => {
    const args = [
      'dry-run',
      '--name',
      'x',
      '--vcpus',
      '4',
      '--memory-mb',
      '1024',
      '--disk-gb',
      '5',
      '--image',
      'base',
    ];
    const ok = await ctl(args);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^decision:\s+node node-a, NUMA node 1, pass 1$/m);
    expect(ok.stdout).toMatch(/^\s*1\s+node-a\s+chosen$/m);
    expect(ok.stdout).toMatch(/^\s*1\s+node-b\s+numa_memory_fit\s+no NUMA node has 1024 MiB free$/m);
    expect(ok.stdout).toMatch(/^\s*2\s+-\s+not run$/m);
    overrides['POST /v1/placements/dry-run'] = {
      status: 200,
      body: { ok: false, passes: [{ pass: 1, ran: true, candidates: [], rejected: [] }] },
    };
    const none = await ctl(args);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('decision: no node fits');
    expect(none.stdout).toContain('no nodes registered');
  });

  it('prints the seed-001 node table', async () => {
    const r = await ctl(['nodes']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NODE\s+STATE\s+RES\s+KVM\s+VMS\s+vCPU USED\/TOTAL\s+RAM USED\/TOTAL\s+AVAILABLE\s+OVER$/,
    );
    expect(lines[1]).toMatch(
      /^node-a\s+up\s+no\s+yes\s+k3s-worker-slm-heavy\s+32\/64\s+118\/250GB\s+32 vCPU, 132GB RAM\s+no$/,
    );
    expect(lines[2]).toMatch(/Over-allocated\s+yes$/);
  });

  it('prints one node with the holder of each thread group', async () => {
    const r = await ctl(['node', 'node-a']);
    expect(r.stdout).toMatch(/^\s*0\s+125\s+k3s-worker-slm-heavy\s+0-1,36-37\s+4$/m);
    expect(r.stdout).toMatch(/^\s*0\s+125\s+\(host\)\s+16,52\s+2$/m);
    expect(r.stdout).toMatch(/^\s*0\s+125\s+\(free\)\s+2,38\s+2$/m);
  });

  it('prints the band summary', async () => {
    const r = await ctl(['bands']);
    expect(r.stdout.split('\n')[1]).toMatch(/^\s*100-199\s+ai-prod\s+100\s+3\s+97\s+3$/);
  });

  it('creates a tenant, prints the token and warns it is shown once', async () => {
    const r = await ctl([
      'tenants',
      'create',
      '--name',
      'team-a',
      '--vcpus',
      '64',
      '--memory-mb',
      '262144',
      '--vms',
      '10',
    ]);
    expect(r.code).toBe(0);
    expect(seen[0]!.body).toEqual({ name: 'team-a', quota: { vcpus: 64, memory_mb: 262144, vms: 10 } });
    expect(r.stdout).toMatch(/^token:\s+vmp_secret$/m);
    expect(r.stderr).toContain('shown only once');
  });

  it('passes --limit to the audit list and exits 1 when the chain is broken', async () => {
    await ctl(['audit', '--limit', '5']);
    expect(seen[0]!.url).toBe('/v1/audit?limit=5');
    overrides['GET /v1/audit/verify'] = { status: 200, body: { ok: false, line: 7, reason: 'bad_hash' } };
    const r = await ctl(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('line 7: bad_hash');
  });

  it('destroys a VM (204, no body)', async () => {
    const r = await ctl(['destroy', 'vm-1']);
    expect(r).toMatchObject({ code: 0, stdout: 'destroyed vm-1\n' });
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/v1/vms/vm-1' });
  });

  it('reads the token from VMPOOL_TOKEN_FILE and the url from --config', async () => {
    writeFileSync(join(dir, 'token'), 'file-token\n');
    writeFileSync(join(dir, 'ctl.json'), JSON.stringify({ url }));
    await ctl(['--config', join(dir, 'ctl.json'), 'list'], { VMPOOL_TOKEN_FILE: join(dir, 'token') });
    expect(seen[0]!.auth).toBe('Bearer file-token');
  });
});

describe('vmpoolctl exit codes without a coordinator answer', () => {
  it('exits 3 when the coordinator is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await ctl(['list'], { VMPOOL_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(
        `^vmpoolctl: unreachable: Cannot reach coordinator at http://127.0.0.1:${port}: .*ECONNREFUSED`,
      ),
    );
  });

  it.each([
    [['frobnicate'], /unknown command/],
    [['tenants'], /expected one of tenants create, tenants list/],
    [['list', '--bogus'], /Cannot parse arguments/],
    [['spawn', '--vcpus', '2'], /--name is required/],
    [['show'], /expected one VM id, got 0/],
    [[], /no command given/],
    [['--url', 'ftp://x', 'list'], /Cannot use --url "ftp:\/\/x"/],
  ])('exits 2 for usage error %j', async (argv, message) => {
    const r = await ctl(argv, { VMPOOL_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('prints tool help and command help with exit 0', async () => {
    const tool = await ctl(['--help']);
    expect(tool.code).toBe(0);
    expect(tool.stdout).toContain('tenants create');
    expect(tool.stdout).toContain('VMPOOL_URL');
    const spawn = await ctl(['spawn', '--help']);
    expect(spawn.code).toBe(0);
    expect(spawn.stdout).toContain('--idempotency-key');
    expect(spawn.stdout).toContain('--spec');
  });
});
