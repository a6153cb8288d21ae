import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { COORDINATOR_NODE_FLAGS } from '../../coordinator/node-flags.js';

const execFileP = promisify(execFile);

/** ROOT is the checkout; e2e tests run the compiled bins from dist/ exactly as systemd would. */
const HERE = resolve(import.meta.dirname, '..', '..');
// benches import these helpers from dist/test/helpers: the checkout is then one level further up
export const ROOT = basename(HERE) === 'dist' ? dirname(HERE) : HERE;
/** BIN names the three compiled programs. */
export const BIN = {
  agent: join(ROOT, 'dist/agent/main.js'),
  coordinator: join(ROOT, 'dist/coordinator/main.js'),
  ctl: join(ROOT, 'dist/ctl/main.js'),
};
/** FIXTURES holds sysfs trees and libvirt test-driver host XML. */
export const FIXTURES = join(ROOT, 'test/fixtures');
/** ADMIN_TOKEN and JOIN_TOKEN are the tokens every e2e coordinator uses. */
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
export const JOIN_TOKEN = 'e2e-join-token-0123456789';

/** requireBuild fails fast with a clear message when dist/ is missing. */
export function requireBuild(): void {
  if (!existsSync(BIN.agent)) throw new Error('dist/ is missing: run `npm run build` before the e2e tests');
}

/** freePort asks the kernel for an unused loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

/** Proc is a started program with its collected output. */
export interface Proc {
  child: ChildProcess;
  out: () => string;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * startProc runs node on a bin with args and env; output is collected for assertions and failures.
 * The agent and the coordinator get the node flags their systemd units start them with.
 */
export function startProc(bin: string, args: string[], env: Record<string, string> = {}): Proc {
  const nodeArgs =
    bin === BIN.agent ? AGENT_NODE_FLAGS : bin === BIN.coordinator ? COORDINATOR_NODE_FLAGS : [];
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  child.stdout!.on('data', (d) => (buf += d));
  child.stderr!.on('data', (d) => (buf += d));
  return {
    child,
    out: () => buf,
    kill: (signal = 'SIGTERM') =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill(signal);
      }),
  };
}

/** runBin runs a bin to completion and returns exit code, stdout and stderr. */
export async function runBin(
  bin: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** waitFor polls fn until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
  throw new Error(`Timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
}

/** virsh runs the real virsh against a URI and returns stdout (throws on failure). */
export async function virsh(args: string[], uri = 'qemu:///system'): Promise<string> {
  const { stdout } = await execFileP('virsh', ['-c', uri, ...args]);
  return stdout;
}

/** makeImagesDir creates a fresh images dir (mode 0755 so QEMU can enter) with a blank base image. */
export async function makeImagesDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `vmpool-${prefix}-`));
  await execFileP('chmod', ['0755', dir]);
  await mkdir(join(dir, 'base'), { mode: 0o755 });
  await execFileP('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'base', 'blank.qcow2'), '1G']);
  return dir;
}

/** ApiResponse is a decoded coordinator answer; tests inspect the body field by field. */
// biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
export type ApiResponse = { status: number; body: any };

/** Coordinator is a running coordinator process and its base URL. */
export interface Coordinator extends Proc {
  url: string;
  port: number;
  dataDir: string;
  api: (
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ) => Promise<ApiResponse>;
}

/** startCoordinator starts the real coordinator on a free loopback port and waits for /healthz. */
export async function startCoordinator(
  opts: { dataDir?: string; port?: number; args?: string[]; env?: Record<string, string> } = {},
): Promise<Coordinator> {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'vmpool-coord-')));
  const proc = startProc(
    BIN.coordinator,
    ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...(opts.args ?? [])],
    { VMPOOL_ADMIN_TOKEN: ADMIN_TOKEN, VMPOOL_JOIN_TOKEN: JOIN_TOKEN, ...opts.env },
  );
  const url = `http://127.0.0.1:${port}`;
  const api: Coordinator['api'] = async (method, path, o = {}) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${o.token ?? ADMIN_TOKEN}`,
        'content-type': 'application/json',
        ...o.headers,
      },
      ...(o.body !== undefined ? { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, {
    what: `coordinator on ${port}\n${proc.out()}`,
  });
  return { ...proc, url, port, dataDir, api };
}

/** startAgent starts `vmpool-agent run` with the e2e join token. */
export function startAgent(coordinatorUrl: string, args: string[], env: Record<string, string> = {}): Proc {
  return startProc(
    BIN.agent,
    ['run', '--coordinator', coordinatorUrl, '--shutdown-timeout-ms', '500', ...args],
    // port 0: several agents share this host's loopback; their /metrics must not collide
    { VMPOOL_JOIN_TOKEN: JOIN_TOKEN, VMPOOL_METRICS_LISTEN: '127.0.0.1:0', ...env },
  );
}

/** createTenant makes a tenant through the admin API and returns its id and token. */
export async function createTenant(
  c: Coordinator,
  name: string,
  quota = { vcpus: 512, memory_mb: 4_194_304, vms: 100 },
): Promise<{ id: string; token: string }> {
  const r = await c.api('POST', '/v1/tenants', { body: { name, quota } });
  if (r.status !== 201) throw new Error(`tenant create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.id, token: r.body.token };
}
