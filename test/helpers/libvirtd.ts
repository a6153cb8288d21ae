import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './procs.js';

const execFileP = promisify(execFile);

/** PrivateLibvirtd is a libvirtd of the test's own, reachable at `uri`, that the test may kill and restart. */
export interface PrivateLibvirtd {
  readonly uri: string;
  readonly dir: string;
  /** pid is the running daemon's process id (changes on restart) */
  pid: () => number | undefined;
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

// libvirtd keeps its state in fixed paths; a private mount namespace gives this daemon its own
// copies, so killing it never disturbs the machine's libvirtd or anyone else's domains. QEMU
// processes outlive the daemon as usual, and a restarted daemon finds them through the same dirs.
const STATE_DIRS = {
  etc: '/etc/libvirt',
  run: '/run/libvirt',
  lib: '/var/lib/libvirt',
  cache: '/var/cache/libvirt',
  log: '/var/log/libvirt',
};

/** startPrivateLibvirtd starts a libvirtd (qemu driver, system mode) in its own mount namespace and waits until it answers. */
export async function startPrivateLibvirtd(prefix: string): Promise<PrivateLibvirtd> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await execFileP('chmod', ['0755', dir]);
  for (const sub of Object.keys(STATE_DIRS)) await mkdir(join(dir, sub), { mode: 0o755 });
  await cp('/etc/libvirt', join(dir, 'etc'), { recursive: true });
  // no autostarted networks (no dnsmasq here); QEMU output to files, so no virtlogd is needed
  await rm(join(dir, 'etc/qemu/networks/autostart'), { recursive: true, force: true });
  await writeFile(join(dir, 'etc/qemu.conf'), 'stdio_handler = "file"\n', { flag: 'a' });
  const binds = Object.entries(STATE_DIRS).map(([sub, target]) => `mount --bind ${join(dir, sub)} ${target}`);
  const script = ['set -e', ...binds, `exec libvirtd -p ${join(dir, 'libvirtd.pid')}`].join('\n');
  await writeFile(join(dir, 'start.sh'), script);
  const uri = `qemu+unix:///system?socket=${join(dir, 'run/libvirt-sock')}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    const c = spawn('unshare', ['-m', '--propagation', 'private', 'sh', join(dir, 'start.sh')], {
      stdio: 'ignore',
    });
    child = c;
    await waitFor(async () => (await execFileP('virsh', ['-c', uri, 'version'])).stdout.includes('libvirt'), {
      what: `private libvirtd at ${dir}`,
      timeoutMs: 30_000,
    });
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((res) => {
      c.once('exit', () => res());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    uri,
    dir,
    pid: () => child?.pid,
    restart: async () => {
      await stop();
      await start();
    },
    stop,
  };
}
