import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** EtcdMember is one real etcd process of a test cluster, on loopback ports. */
export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  proc: ChildProcess | null;
}

/** live is every member process started by this process, killed when it exits whatever happens. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/**
 * memberDir is where members keep their data: tmpfs (/dev/shm) when there is one, so etcd's fsync
 * per commit costs nothing and a disk busy with other tests cannot stall the cluster's writes
 * (the tests check election and fencing logic, not disk latency).
 */
function memberDir(tmpfs: boolean): string {
  return tmpfs && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/**
 * pdeathsig runs etcd under setpriv(1) so the kernel kills it when the test process dies, even by
 * SIGKILL (a crashed or timed-out test run leaves no etcd behind); plain etcd when setpriv is absent.
 */
function etcdCommand(args: string[]): [string, string[]] {
  return existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', 'etcd', ...args]]
    : ['etcd', args];
}

/**
 * EtcdCluster starts real etcd members (Debian's etcd-server, installed by scripts/etcd-deps.sh)
 * in a temp dir on free loopback ports, and can kill and restart members for quorum tests.
 */
export class EtcdCluster {
  private logs = new Map<string, string>();

  private constructor(
    readonly dir: string,
    readonly members: EtcdMember[],
  ) {}

  /**
   * start launches `size` members and waits until the cluster answers health checks. Data lives on
   * tmpfs unless `tmpfs: false` (benches measuring write cost want etcd's real fsync on disk).
   */
  static async start(size = 1, opts: { timeoutMs?: number; tmpfs?: boolean } = {}): Promise<EtcdCluster> {
    const dir = await mkdtemp(join(memberDir(opts.tmpfs ?? true), 'vmpool-etcd-'));
    const members: EtcdMember[] = [];
    for (let i = 0; i < size; i++) {
      const [client, peer] = [await freePort(), await freePort()];
      members.push({
        name: `m${i}`,
        clientUrl: `http://127.0.0.1:${client}`,
        peerUrl: `http://127.0.0.1:${peer}`,
        proc: null,
      });
    }
    const cluster = new EtcdCluster(dir, members);
    for (const m of members) cluster.launch(m);
    await cluster.waitHealthy(opts.timeoutMs ?? 15_000);
    return cluster;
  }

  /** endpoints is every member's client URL. */
  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /** kill SIGKILLs one member (its data stays for restart). */
  async kill(i: number): Promise<void> {
    const m = this.members[i]!;
    const p = m.proc;
    m.proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  /** restart starts a killed member again over its data dir. */
  restart(i: number): void {
    const m = this.members[i]!;
    if (!m.proc) this.launch(m);
  }

  /** waitHealthy polls every running member's /health until all say true. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.members.filter((m) => m.proc);
      const ok = await Promise.all(running.map((m) => healthy(m.clientUrl)));
      if (ok.every(Boolean)) return;
      if (Date.now() > deadline)
        throw new Error(`etcd cluster not healthy within ${timeoutMs} ms:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** log is every member's output so far (for failure messages). */
  log(): string {
    return [...this.logs].map(([n, l]) => `--- ${n}\n${l.slice(-3000)}`).join('\n');
  }

  /** stop kills every member and removes the temp dir. */
  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i);
    await rm(this.dir, { recursive: true, force: true });
  }

  private launch(m: EtcdMember): void {
    const initial = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const [cmd, args] = etcdCommand([
      `--name=${m.name}`,
      `--data-dir=${join(this.dir, m.name)}`,
      `--listen-client-urls=${m.clientUrl}`,
      `--advertise-client-urls=${m.clientUrl}`,
      `--listen-peer-urls=${m.peerUrl}`,
      `--initial-advertise-peer-urls=${m.peerUrl}`,
      `--initial-cluster=${initial}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=vmpool-test',
      '--heartbeat-interval=100',
      '--election-timeout=1000',
      '--max-txn-ops=4096',
      '--log-level=warn',
    ]);
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    const append = (d: Buffer) => this.logs.set(m.name, (this.logs.get(m.name) ?? '') + d.toString());
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    m.proc = proc;
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/** freePort asks the kernel for an unused loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
