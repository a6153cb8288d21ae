import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

// What a real-guest test prints when a guest does not answer: the domain's state and reason (a guest
// paused on an I/O error still has QEMU listening on its SSH forward, so SSH only times out), the
// space left where its disk lives, the machine's load, and the tails of its serial console and QEMU log.

const exec = promisify(execFile);

async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { timeout: 10_000, maxBuffer: 4 << 20 });
    return (stdout + stderr).trim();
  } catch (err) {
    return `(${cmd} failed: ${(err as Error).message.split('\n')[0]})`;
  }
}

async function tail(path: string, lines: number): Promise<string> {
  try {
    const text = (await readFile(path, 'latin1')).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    return text.split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${path}: ${(err as NodeJS.ErrnoException).code})`;
  }
}

/** domainState is virsh's `domstate --reason` for a domain on qemu:///system, e.g. "paused (I/O error)". */
export async function domainState(domain: string): Promise<string> {
  return run('virsh', ['-c', 'qemu:///system', 'domstate', '--reason', domain]);
}

/** guestDiagnostics gathers what tells why a guest did not come up, as one printable block. */
export async function guestDiagnostics(domain: string, diskDir: string, consoleLog: string): Promise<string> {
  const [state, stats, df, load, top, con, qemu] = await Promise.all([
    domainState(domain),
    run('virsh', ['-c', 'qemu:///system', 'domstats', '--state', '--vcpu', '--block', domain]),
    run('df', ['-h', diskDir]),
    readFile('/proc/loadavg', 'utf8').catch(() => '?'),
    run('ps', ['-eo', 'pid,pcpu,rss,etimes,args', '--sort=-pcpu']).then((s) =>
      s
        .split('\n')
        .slice(0, 9)
        .map((l) => l.slice(0, 160))
        .join('\n'),
    ),
    tail(consoleLog, 40),
    tail(`/var/log/libvirt/qemu/${domain}.log`, 15),
  ]);
  return [
    `--- domain state: ${state}`,
    `--- domstats:\n${stats}`,
    `--- disk space:\n${df}`,
    `--- load: ${load.trim()}\n${top}`,
    `--- serial console (last 40 lines):\n${con}`,
    `--- qemu log (last 15 lines):\n${qemu}`,
  ].join('\n');
}
