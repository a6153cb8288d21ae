// Start the compiled coordinator for a bench and time it to /healthz.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
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
  /** the bench's own systemd-journald when the coordinator logs to it (log: 'journald') */
  journaldPid?: number;
  /** net.unix.max_dgram_qlen before the bench raised it (log: 'journald'), restored at stop */
  dgramQlenBefore?: number;
}

const DGRAM_QLEN = '/proc/sys/net/unix/max_dgram_qlen';
// systemd as PID 1 raises the kernel's default of 10 to this at boot (so every systemd host has it):
// with 10, a sender blocks whenever journald has not yet read 10 entries
const SYSTEMD_DGRAM_QLEN = 512;

/** raiseDgramQlen gives the host systemd's unix datagram queue length; the value before, to restore. */
function raiseDgramQlen(): number {
  const before = Number(readFileSync(DGRAM_QLEN, 'utf8'));
  if (before < SYSTEMD_DGRAM_QLEN) writeFileSync(DGRAM_QLEN, String(SYSTEMD_DGRAM_QLEN));
  return before;
}

/**
 * CoordinatorLog is where a bench coordinator's log lines go:
 * - 'discard': stderr is /dev/null, so lines take the JSON-line sink and are dropped by the kernel;
 * - 'journald': as under systemd, native journald entries (one datagram a line, from the
 *   coordinator's journal thread) to a real systemd-journald that the bench starts in a private
 *   mount namespace: the journal lives in a tmpfs that goes with the namespace, and the host's /run
 *   gains at most the two empty mount points.
 */
export type CoordinatorLog = 'discard' | 'journald';

const JOURNALD_PATHS = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'];

// $JOURNALD_CONF holds the drop-in; journald keeps every line (no rate limit), so the bench measures
// the worst case of what a logging coordinator costs the host
const JOURNALD_WRAPPER = `set -e
mkdir -p /run/systemd /run/log
mount -t tmpfs tmpfs /run/systemd
mount -t tmpfs tmpfs /run/log
mkdir -p /run/systemd/journal /run/systemd/journald.conf.d
printf '%s' "$JOURNALD_CONF" > /run/systemd/journald.conf.d/bench.conf
"$JOURNALD_BIN" </dev/null >/dev/null 2>&1 &
echo $! > "$JOURNALD_PIDFILE"
i=0
while [ ! -S /run/systemd/journal/socket ]; do
  i=$((i + 1)); [ "$i" -gt 200 ] && { echo 'systemd-journald made no socket in 10 s' >&2; exit 70; }
  sleep 0.05
done
exec "$@"`;

const JOURNALD_CONF =
  '[Journal]\nStorage=volatile\nReadKMSG=no\nRateLimitBurst=0\nForwardToSyslog=no\nForwardToWall=no\n';

/** journaldBinary finds systemd-journald and unshare, or says what to install. */
function journaldBinary(): string {
  const bin = JOURNALD_PATHS.find((p) => existsSync(p));
  if (bin === undefined || spawnSync('unshare', ['--version']).status !== 0) {
    throw new Error(
      'Cannot log to journald: the bench needs systemd-journald and unshare (apt-get install systemd util-linux) and root',
    );
  }
  return bin;
}

/** startCoordinator runs the compiled coordinator on dataDir and waits for /healthz. */
export async function startCoordinator(
  dataDir: string,
  extraArgs: string[] = [],
  log: CoordinatorLog = 'discard',
): Promise<RunningCoordinator> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // the shipped flags (COORDINATOR_NODE_FLAGS), then VMPOOL_BENCH_NODE_ARGS: node flags for the
  // coordinator only (e.g. --cpu-prof; a later V8 flag overrides an earlier one)
  const command = [
    process.execPath,
    ...COORDINATOR_NODE_FLAGS,
    ...(process.env.VMPOOL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    COORDINATOR_BIN,
    '--listen',
    `127.0.0.1:${port}`,
    '--data-dir',
    dataDir,
    ...extraArgs,
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VMPOOL_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    VMPOOL_JOIN_TOKEN: BENCH_JOIN_TOKEN,
  };
  const pidFile = join(dataDir, 'journald.pid');
  // checked before the host's queue length is raised, so a missing journald changes nothing
  const journaldBin = log === 'journald' ? journaldBinary() : '';
  const dgramQlenBefore = log === 'journald' ? raiseDgramQlen() : undefined;
  const t0 = nowMs();
  let child: ChildProcess;
  if (log === 'journald') {
    // stderr is a file whose dev:ino is JOURNAL_STREAM, as systemd sets it for a unit's stream:
    // the logger then sends native entries (and anything that lands in the file is a fallback)
    const stderrFd = openSync(join(dataDir, 'coordinator.stderr'), 'w');
    const st = fstatSync(stderrFd, { bigint: true });
    const wrapper = ['-m', 'sh', '-c', JOURNALD_WRAPPER, 'journald-wrapper', ...command];
    // unshare without --fork execs sh, which execs node: the coordinator keeps child.pid
    child = spawn('unshare', wrapper, {
      env: {
        ...env,
        JOURNAL_STREAM: `${st.dev}:${st.ino}`,
        JOURNALD_BIN: journaldBin,
        JOURNALD_PIDFILE: pidFile,
        JOURNALD_CONF,
      },
      stdio: ['ignore', 'ignore', stderrFd],
    });
    closeSync(stderrFd);
  } else {
    child = spawn(command[0] as string, command.slice(1), { env, stdio: 'ignore' });
  }
  for (let i = 0; i < 1200; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      const startMs = nowMs() - t0;
      if (log !== 'journald') return { child, url, startMs };
      const journaldPid = Number(readFileSync(pidFile, 'utf8'));
      return { child, url, startMs, journaldPid, dgramQlenBefore };
    }
    if (child.exitCode !== null) break;
    await sleep(25);
  }
  child.kill('SIGKILL');
  killJournald(existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined);
  restoreDgramQlen(dgramQlenBefore);
  throw new Error('Cannot start coordinator: /healthz never answered');
}

function killJournald(pid: number | undefined): void {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {}
}

/** stopCoordinator ends the process (and its journald) and waits for it to exit. */
export async function stopCoordinator(c: RunningCoordinator): Promise<void> {
  if (c.child.exitCode === null) {
    const exited = new Promise((r) => c.child.once('exit', r));
    c.child.kill('SIGTERM');
    await exited;
  }
  killJournald(c.journaldPid);
  restoreDgramQlen(c.dgramQlenBefore);
}

function restoreDgramQlen(before: number | undefined): void {
  if (before !== undefined && before < SYSTEMD_DGRAM_QLEN) writeFileSync(DGRAM_QLEN, String(before));
}
