import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './procs.js';

const execFileP = promisify(execFile);

/** Container is a booted systemd-nspawn machine: run commands inside, fetch over its network. */
export interface Container {
  name: string;
  leader: number;
  /** exec runs argv in every namespace of the container (its systemd, journal and files) */
  exec(argv: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  /** http runs the host's node in the container's network namespace to call its loopback services */
  http(
    url: string,
    opts?: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Record<string, string>; body: unknown; text: string }>;
  output(): string;
  stop(): Promise<void>;
}

/** nspawnTree builds (once, cached under /var/cache/vmpool-test) and returns the Debian 12 tree. */
export async function nspawnTree(): Promise<string> {
  const { stdout } = await execFileP('bash', [join(ROOT, 'scripts/nspawn-tree.sh')], {
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  return stdout.trim().split('\n').pop()!;
}

/**
 * bootContainer boots the tree with systemd as PID 1 (--volatile=overlay: the cached tree is never
 * written), its own network namespace, the checkout's build at /opt/vmpool (read-only), the host's
 * Node binary, and the host's libvirt socket and images dir so the agent drives the real libvirtd.
 */
export async function bootContainer(tree: string, name: string): Promise<Container> {
  const binds = [
    `--bind-ro=${process.execPath}:/usr/bin/node`,
    ...['dist', 'package.json', 'systemd', 'scripts', 'docs'].map(
      (p) => `--bind-ro=${join(ROOT, p)}:/opt/vmpool/${p}`,
    ),
    `--bind-ro=${realpathSync(join(ROOT, 'node_modules'))}:/opt/vmpool/node_modules`,
    '--bind=/run/libvirt',
    '--bind=/var/lib/libvirt/images',
  ];
  // --keep-unit --register=no: no systemd (and no machined) is PID 1 on the CI host
  const child = spawn(
    'systemd-nspawn',
    [
      '-q',
      '-b',
      '-D',
      tree,
      '--volatile=overlay',
      '--register=no',
      '--keep-unit',
      `--machine=${name}`,
      '--private-network',
      ...binds,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const leader = await waitLeader(child, () => out).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const exec: Container['exec'] = async (argv, timeoutMs = 60_000) => {
    try {
      const r = await execFileP('nsenter', ['-t', String(leader), '-a', ...argv], {
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  };
  const c: Container = {
    name,
    leader,
    exec,
    http: (url, opts = {}) => httpIn(leader, url, opts),
    output: () => out,
    stop: async () => {
      await exec(['systemctl', 'poweroff'], 10_000);
      const exited = await Promise.race([
        new Promise<boolean>((r) => child.once('exit', () => r(true))),
        new Promise<boolean>((r) => setTimeout(() => r(false), 30_000)),
      ]);
      if (!exited && child.exitCode === null) child.kill('SIGKILL');
      rmSync(`/run/systemd/nspawn/propagate/${name}`, { recursive: true, force: true });
    },
  };
  const state = await waitFor(async () => {
    const r = await exec(['systemctl', 'is-system-running'], 10_000);
    const s = r.stdout.trim();
    return s === 'running' || s === 'degraded' ? s : null;
  }, 90_000);
  if (state === null) {
    await c.stop();
    throw new Error(`container did not boot in 90 s:\n${out.slice(-3000)}`);
  }
  return c;
}

async function waitLeader(child: ChildProcess, out: () => string): Promise<number> {
  const pid = await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`systemd-nspawn exited ${child.exitCode}:\n${out()}`);
    // the container's init is the nspawn child (maybe one fork down) whose command is systemd
    const r = await execFileP('ps', ['-e', '-o', 'pid=,ppid=,comm=']).catch(() => ({ stdout: '' }));
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const ours = new Set([String(child.pid)]);
    for (let depth = 0; depth < 3; depth++)
      for (const [pid, ppid] of rows) if (ppid && ours.has(ppid)) ours.add(pid!);
    const init = rows.find(([pid, , comm]) => ours.has(pid!) && comm === 'systemd');
    return init ? Number(init[0]) : null;
  }, 30_000);
  if (pid === null) throw new Error(`no container init within 30 s:\n${out()}`);
  return pid;
}

/** waitFor polls fn every 250 ms until it returns non-null, or null once timeoutMs passed. */
export async function waitFor<T>(fn: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await fn();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

const HTTP_CHILD = `
const [url, method, token, body, headers] = process.argv.slice(1);
const h = { ...JSON.parse(headers) };
if (token) h.authorization = 'Bearer ' + token;
if (body) h['content-type'] = 'application/json';
const r = await fetch(url, { method, headers: h, body: body || undefined, signal: AbortSignal.timeout(120000) });
const text = await r.text();
process.stdout.write(JSON.stringify({ status: r.status, headers: Object.fromEntries(r.headers), text }));
`;

async function httpIn(
  leader: number,
  url: string,
  opts: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> },
) {
  const { stdout } = await execFileP(
    'nsenter',
    [
      '-t',
      String(leader),
      '-n',
      process.execPath,
      '--input-type=module',
      '-e',
      HTTP_CHILD,
      url,
      opts.method ?? 'GET',
      opts.token ?? '',
      opts.body === undefined ? '' : JSON.stringify(opts.body),
      JSON.stringify(opts.headers ?? {}),
    ],
    { timeout: 130_000, maxBuffer: 16 << 20 },
  );
  const r = JSON.parse(stdout) as { status: number; headers: Record<string, string>; text: string };
  let body: unknown = null;
  try {
    body = JSON.parse(r.text);
  } catch {
    body = null;
  }
  return { ...r, body };
}
