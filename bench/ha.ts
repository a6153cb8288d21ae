// bench/ha.ts — the HA coordinator: create throughput and p99 through HTTP with the etcd store
// (one coordinator, three-member etcd) beside the lowdb store, and failover time (kill -9 of the
// leader → first successful create on the new leader), median of 5. Real processes: etcd
// (Debian's etcd-server), coordinators, one agent on libvirt's test driver (seed-003 host).
// Build, then run: npm run build && npm run bench -- ha [--creates 120] [--concurrency 8] [--failovers 5] [--wait]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, freePort } from '../coordinator/ha/testing/etcd-cluster.js';
import { flag, integer } from './lib/option-kinds.js';
import { parseOptions } from './lib/options.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const FIX = join(ROOT, 'test', 'fixtures');
const ADMIN = 'bench-admin-token-0123456789';
const JOIN = 'bench-join-token-0123456789';
const values = parseOptions(process.argv.slice(2), {
  creates: integer({ min: 1, default: 120 }),
  concurrency: integer({ min: 1, default: 8 }),
  failovers: integer({ min: 1, default: 5 }),
  wait: flag(),
});
/** WAIT: time creates to the running VM (agent-bound); default: to the durable claim (store-bound, 202) */
const WAIT = values.wait;
const procs: ChildProcess[] = [];

function node(bin: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const p = spawn(process.execPath, [join(DIST, bin), ...args], {
    env: { ...process.env, VMPOOL_ADMIN_TOKEN: ADMIN, VMPOOL_JOIN_TOKEN: JOIN, ...env },
    stdio: 'ignore',
  });
  procs.push(p);
  return p;
}

async function until<T>(fn: () => Promise<T | null>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn().catch(() => null);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

async function api(url: string, method: string, path: string, token: string, body?: unknown, key?: string) {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function coordinator(port: number, extra: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vmpool-bench-ha-c-'));
  node('coordinator/main.js', ['--listen', `127.0.0.1:${port}`, '--data-dir', dir, ...extra]);
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/healthz`)).status < 500 || null, 20_000, 'coordinator');
  return url;
}

function agent(urls: string[]): ChildProcess {
  const images = mkdtempSync(join(tmpdir(), 'vmpool-bench-ha-a-'));
  execFileSync('chmod', ['0755', images]);
  mkdirSync(join(images, 'base'));
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(images, 'base', 'blank.qcow2'), '1G']);
  copyFileSync(join(FIX, 'libvirt/seed003-host.xml'), join(images, 'host.xml'));
  return node('agent/main.js', [
    'run',
    '--coordinator',
    urls.join(','),
    '--node-id',
    'bench-n1',
    '--libvirt-uri',
    `test://${join(images, 'host.xml')}`,
    '--pin-source',
    'xml',
    '--sysfs-root',
    join(FIX, 'sysfs/seed003'),
    '--images-dir',
    images,
    '--host-reserved-cpus',
    '16-17,52-53,34-35,70-71',
    '--shutdown-timeout-ms',
    '500',
  ]);
}

async function leaderOf(urls: string[]): Promise<string> {
  return until(
    async () => {
      for (const u of urls) {
        const h = await fetch(`${u}/healthz`, { signal: AbortSignal.timeout(500) })
          .then((r) => r.json())
          .catch(() => null);
        if (h?.role === 'leader' || (h?.ok && h.role === undefined)) return u;
      }
      return null;
    },
    30_000,
    'a leader',
  );
}

async function tenant(url: string): Promise<string> {
  const quota = { vcpus: 4096, memory_mb: 4_194_304, vms: 5000 };
  const r = await api(url, 'POST', '/v1/tenants', ADMIN, { name: `bench-${Date.now()}`, quota });
  return r.body.token as string;
}

const vm = (name: string) => ({
  name,
  vcpu_count: 1,
  memory_mb: 64,
  disk_size_gb: 1,
  image: 'blank',
  placement: { cpu_policy: 'shared' },
});

/** throughput sends `n` creates with `c` in flight and returns creates/s and latency percentiles. */
async function throughput(url: string, token: string, n: number, c: number, tag: string) {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        const r = await api(url, `POST`, `/v1/vms${WAIT ? '' : '?wait=false'}`, token, vm(`${tag}-${i}`));
        if (r.status >= 300) throw new Error(`create ${i}: ${r.status} ${JSON.stringify(r.body)}`);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1);
  return { per_s: (n / secs).toFixed(1), p50_ms: q(0.5), p99_ms: q(0.99) };
}

async function storeBench(kind: 'lowdb' | 'etcd', etcd: EtcdCluster | null) {
  const port = await freePort();
  const extra =
    kind === 'etcd'
      ? [
          '--store',
          'etcd',
          '--etcd-endpoints',
          etcd!.endpoints.join(','),
          '--etcd-prefix',
          `/bench-${Date.now()}`,
        ]
      : [];
  const url = await coordinator(port, extra);
  const a = agent([url]);
  await leaderOf([url]);
  await until(
    async () =>
      (await api(url, 'GET', '/v1/nodes', ADMIN)).body?.nodes?.some(
        (n: { state: string }) => n.state === 'ready',
      ) || null,
    30_000,
    'agent',
  );
  const token = await tenant(url);
  const r = await throughput(url, token, values.creates, values.concurrency, kind);
  a.kill('SIGTERM');
  return r;
}

async function failovers(etcd: EtcdCluster, rounds: number): Promise<number[]> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const prefix = `/bench-fo-${Date.now()}`;
  const args = (i: number) => [
    '--store',
    'etcd',
    '--etcd-endpoints',
    etcd.endpoints.join(','),
    '--etcd-prefix',
    prefix,
    '--coordinator-id',
    `b${i}`,
  ];
  const urls = await Promise.all(ports.map((p, i) => coordinator(p, args(i))));
  const byUrl = new Map(urls.map((u, i) => [u, procs[procs.length - 3 + i]!]));
  agent(urls);
  let leader = await leaderOf(urls);
  await until(
    async () =>
      (await api(leader, 'GET', '/v1/nodes', ADMIN)).body?.nodes?.some(
        (n: { state: string }) => n.state === 'ready',
      ) || null,
    30_000,
    'agent',
  );
  const token = await tenant(leader);
  const out: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const victim = leader;
    const survivors = urls.filter((u) => u !== victim);
    const t0 = performance.now();
    byUrl.get(victim)!.kill('SIGKILL');
    await until(
      async () => {
        for (const u of survivors) {
          const r = await api(u, 'POST', '/v1/vms', token, vm(`fo-${round}`), `fo-${round}`).catch(
            () => null,
          );
          if (r && r.status < 300) return true;
        }
        return null;
      },
      60_000,
      'a create after failover',
    );
    out.push(performance.now() - t0);
    leader = await leaderOf(survivors);
    const i = urls.indexOf(victim);
    byUrl.set(victim, procs.length ? (procs[procs.length] ?? procs[0]!) : procs[0]!);
    await coordinator(ports[i]!, args(i)); // the killed one comes back as a follower
    byUrl.set(victim, procs[procs.length - 1]!);
    await new Promise((r) => setTimeout(r, 3_000)); // let the agent settle on the leader
  }
  return out;
}

async function main(): Promise<void> {
  const etcd = await EtcdCluster.start(3, { tmpfs: false }); // real fsync: the figure is a disk-backed etcd
  try {
    const lowdb = await storeBench('lowdb', null);
    const etcdRes = await storeBench('etcd', etcd);
    const fo = await failovers(etcd, values.failovers);
    const sorted = [...fo].sort((a, b) => a - b);
    console.log(
      JSON.stringify(
        {
          creates: values.creates,
          timed_to: WAIT ? 'running VM (?wait=true)' : 'durable claim (?wait=false, 202)',
          concurrency: values.concurrency,
          lowdb,
          etcd_3_members: etcdRes,
          failover_ms: fo.map((x) => Math.round(x)),
          failover_median_ms: Math.round(sorted[Math.floor(sorted.length / 2)]!),
        },
        null,
        2,
      ),
    );
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await etcd.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    process.exit(1);
  },
);
