// Start the compiled coordinator for a bench and time it to /healthz.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { COORDINATOR_NODE_FLAGS } from '../../coordinator/node-flags.js';
import { nowMs } from './stats.js';

const COORDINATOR_BIN = join(import.meta.dirname, '..', '..', 'coordinator', 'main.js');

/** BENCH_ADMIN_TOKEN and BENCH_JOIN_TOKEN are the tokens a bench coordinator is started with. */
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const BENCH_JOIN_TOKEN = 'bench-join-token-0123456789';

/** freePort asks the kernel for an unused loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
    srv.on('error', reject);
  });
}

/** RunningCoordinator is a started coordinator process, its URL and how long it took to answer /healthz. */
export interface RunningCoordinator {
  child: ChildProcess;
  url: string;
  startMs: number;
}

/** startCoordinator runs the compiled coordinator on dataDir (log discarded) and waits for /healthz. */
export async function startCoordinator(
  dataDir: string,
  extraArgs: string[] = [],
): Promise<RunningCoordinator> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = nowMs();
  const child = spawn(
    process.execPath,
    // the shipped flags (COORDINATOR_NODE_FLAGS), then VMPOOL_BENCH_NODE_ARGS: node flags for the
    // coordinator only (e.g. --cpu-prof; a later V8 flag overrides an earlier one)
    [
      ...COORDINATOR_NODE_FLAGS,
      ...(process.env.VMPOOL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      COORDINATOR_BIN,
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      ...extraArgs,
    ],
    {
      env: { ...process.env, VMPOOL_ADMIN_TOKEN: BENCH_ADMIN_TOKEN, VMPOOL_JOIN_TOKEN: BENCH_JOIN_TOKEN },
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 1200; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, url, startMs: nowMs() - t0 };
    if (child.exitCode !== null) break;
    await sleep(25);
  }
  child.kill('SIGKILL');
  throw new Error('Cannot start coordinator: /healthz never answered');
}

/** stopCoordinator ends the process and waits for it to exit. */
export async function stopCoordinator(c: RunningCoordinator): Promise<void> {
  if (c.child.exitCode !== null) return;
  const exited = new Promise((r) => c.child.once('exit', r));
  c.child.kill('SIGTERM');
  await exited;
}
