// bench/guest-boot.ts — how long a real guest takes to be usable, through the whole stack:
//   spawn-to-SSH    POST /v1/vms (answered at `running`) until `ssh USER@127.0.0.1 -p FORWARD true` succeeds
//   spawn-to-ready  the same POST until GET /v1/vms/{id} shows guest.state `ready` (guest agent up, cloud-init done)
// One real coordinator and one real agent on qemu:///system with --user-network; the Debian 12 guest image
// from scripts/build-guest-image.sh (cached). Needs `npm run build` and libvirtd; run under the libvirtd flock.
//   npm run bench -- guest-boot [--runs 3] [--vcpus 2] [--json]     (--runs 0 checks the set-up only)
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeDomains, waitNodesReady } from '../test/helpers/fleet.js';
import {
  type Coordinator,
  createTenant,
  makeImagesDir,
  type Proc,
  ROOT,
  startAgent,
  startCoordinator,
} from '../test/helpers/procs.js';
import { flag, integer } from './lib/option-kinds.js';
import { parseOptions } from './lib/options.js';
import { percentile } from './lib/stats.js';

const exec = promisify(execFile);
const MARK = 'benchboot';
const BOUND_MS = 900_000;

interface RunFigures {
  spawn_ms: number;
  ssh_ms: number;
  ready_ms: number;
}

interface Setup {
  coord: Coordinator;
  agent: Proc;
  imagesDir: string;
  keyDir: string;
  tenant: { id: string; token: string };
  kvm: boolean;
}

async function setUp(): Promise<Setup> {
  const imagesDir = await makeImagesDir('bench-boot');
  await exec(
    'bash',
    [join(ROOT, 'scripts/build-guest-image.sh'), join(imagesDir, 'base', 'debian12.qcow2')],
    {
      maxBuffer: 16 << 20,
    },
  );
  const keyDir = await mkdtemp(join(tmpdir(), 'vmpool-bench-key-'));
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id'), '-C', 'bench@guest']);
  const coord = await startCoordinator({ args: ['--min-heartbeat-ms', '1000'] });
  const agent = startAgent(coord.url, [
    '--node-id',
    'bench-boot',
    '--images-dir',
    imagesDir,
    '--user-network',
  ]);
  await waitNodesReady(coord, ['bench-boot'], () => `${coord.out()}\n${agent.out()}`, 60_000);
  const tenant = await createTenant(coord, 'bench-boot');
  const nodes = (await coord.api('GET', '/v1/nodes')).body.nodes as { id: string; kvm: boolean }[];
  const kvm = nodes.find((n) => n.id === 'bench-boot')?.kvm ?? false;
  return { coord, agent, imagesDir, keyDir, tenant, kvm };
}

async function tearDown(s: Partial<Setup>): Promise<void> {
  await removeDomains(MARK);
  await s.agent?.kill();
  await s.coord?.kill();
  for (const dir of [s.imagesDir, s.keyDir, s.coord?.dataDir])
    if (dir) await rm(dir, { recursive: true, force: true });
}

async function sshOnce(keyDir: string, port: number): Promise<boolean> {
  const opts = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-o', 'StrictHostKeyChecking=no'];
  const quiet = ['-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
  const args = ['-i', join(keyDir, 'id'), '-p', String(port), ...opts, ...quiet, 'bench@127.0.0.1', 'true'];
  return exec('ssh', args, { timeout: 10_000 }).then(
    () => true,
    () => false,
  );
}

/** until polls fn every 500 ms and returns the elapsed ms since t0 when it first holds. */
async function until(t0: number, what: string, fn: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await fn()) return performance.now() - t0;
    if (performance.now() - t0 > BOUND_MS)
      throw new Error(`Cannot measure: no ${what} within ${BOUND_MS} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function oneRun(s: Setup, i: number, vcpus: number): Promise<RunFigures> {
  const pub = (await readFile(join(s.keyDir, 'id.pub'), 'utf8')).trim();
  const t0 = performance.now();
  const r = await s.coord.api('POST', '/v1/vms', {
    token: s.tenant.token,
    body: {
      ...{ name: `${MARK}-${i}`, vcpu_count: vcpus, memory_mb: 512, disk_size_gb: 4, image: 'debian12' },
      user_configs: [{ username: 'bench', ssh_authorized_keys: [pub] }],
    },
  });
  if (r.status !== 201) throw new Error(`spawn refused: ${r.status} ${JSON.stringify(r.body)}`);
  const spawn_ms = performance.now() - t0;
  const port = r.body.network.ssh.port as number;
  const guestReady = async () =>
    (await s.coord.api('GET', `/v1/vms/${r.body.id}`, { token: s.tenant.token })).body.guest?.state ===
    'ready';
  const [ssh_ms, ready_ms] = await Promise.all([
    until(t0, 'SSH', () => sshOnce(s.keyDir, port)),
    until(t0, 'ready guest', guestReady),
  ]);
  await s.coord.api('DELETE', `/v1/vms/${r.body.id}`, { token: s.tenant.token });
  return { spawn_ms, ssh_ms, ready_ms };
}

const p50 = (xs: number[]) =>
  Math.round(
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    ),
  );

/** OPTIONS are the guest-boot bench's flags (bench/main.ts prints them for --help). */
const OPTIONS = {
  // 0: set up and tear down only (what the smoke test runs)
  runs: integer({ min: 0, default: 3 }),
  vcpus: integer({ min: 1, default: 2 }),
  json: flag(),
};

/** run is the bench entry point (npm run bench -- guest-boot …). */
export async function run(argv: string[]): Promise<void> {
  const values = parseOptions(argv, OPTIONS);
  const { runs } = values;
  const setup: Partial<Setup> = {};
  const figures: RunFigures[] = [];
  try {
    Object.assign(setup, await setUp());
    for (let i = 0; i < runs; i++) {
      figures.push(await oneRun(setup as Setup, i, values.vcpus));
      if (!values.json) console.log(`run ${i + 1}/${runs}: ${JSON.stringify(figures.at(-1))}`);
    }
  } finally {
    await tearDown(setup);
  }
  const load = await readFile('/proc/loadavg', 'utf8').then((l) => l.split(' ').slice(0, 3).join(' '));
  const out = {
    bench: 'guest-boot',
    runs,
    /** kvm is the node's decision after its probe guest: false means every figure here is TCG */
    kvm: setup.kvm ?? null,
    figures,
    spawn_to_ssh_p50_ms: figures.length ? p50(figures.map((f) => f.ssh_ms)) : null,
    spawn_to_ready_p50_ms: figures.length ? p50(figures.map((f) => f.ready_ms)) : null,
    loadavg_after: load,
  };
  console.log(values.json ? JSON.stringify(out) : JSON.stringify(out, null, 2));
}
