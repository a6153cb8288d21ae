import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

// Operations tier: the real systemd-analyze on the unit files, and sd_notify / journald through
// libsystemd (koffi) from a separate node process, received by a real unix datagram socket.

const REPO = resolve(import.meta.dirname, '..');
const WORK = mkdtempSync(join(tmpdir(), 'vmpool-systemd-e2e-'));
const receivers: ChildProcess[] = [];
afterAll(() => {
  for (const child of receivers) child.kill();
  rmSync(WORK, { recursive: true, force: true });
});

// Measured exposure (tenths): agent 2.1, coordinator 1.1, broker 1.1. A hardening regression fails here.
const UNITS = [
  { name: 'vmpool-agent.service', maxExposureTenths: 21 },
  { name: 'vmpool-coordinator.service', maxExposureTenths: 11 },
  { name: 'vmpool-broker.service', maxExposureTenths: 11 },
];

/** A copy of a unit whose paths exist on this machine, so verify checks everything else for real. */
function unitCopy(name: string, edit: (text: string) => string = (t) => t): string {
  const dir = mkdtempSync(join(WORK, 'unit-'));
  const text = readFileSync(join(REPO, 'systemd', name), 'utf8')
    .replaceAll('/usr/bin/node', process.execPath)
    .replaceAll('/opt/vmpool', REPO);
  const path = join(dir, name);
  writeFileSync(path, edit(text));
  return path;
}

function analyze(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', cwd: WORK });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

// verify prints "…, ignoring" warnings for bad settings and still exits 0: silence is the pass.
function verify(path: string) {
  const r = analyze(['verify', '--man=no', path]);
  return { ok: r.status === 0 && r.output.trim() === '', output: r.output };
}

function exposure(path: string, thresholdTenths: number) {
  const r = analyze(['security', '--offline=true', `--threshold=${thresholdTenths}`, '--no-pager', path]);
  const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.output)?.[1]);
  return { status: r.status, score };
}

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe.skipIf(!hasAnalyze && !STRICT_TESTS)('systemd units', () => {
  it.each(UNITS)('$name passes systemd-analyze verify without a warning', ({ name }) => {
    expect(verify(unitCopy(name))).toEqual({ ok: true, output: '' });
  });

  it.each([
    ['an unknown Type=', (t: string) => t.replace(/^Type=notify$/m, 'Type=bogus'), /service type/],
    [
      'an unparseable WatchdogSec=',
      (t: string) => t.replace(/^WatchdogSec=30s$/m, 'WatchdogSec=thirty'),
      /sec value/,
    ],
    [
      'a missing ExecStart binary',
      (t: string) => t.replace(process.execPath, '/nonexistent/node'),
      /not executable/,
    ],
  ])('verify fails on a unit with %s', (_label, edit, message) => {
    const r = verify(unitCopy('vmpool-agent.service', edit));
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(message);
  });

  it.each(UNITS)(
    '$name keeps its security exposure at or under the measured score',
    ({ name, maxExposureTenths }) => {
      const r = exposure(unitCopy(name), maxExposureTenths);
      expect(r.status).toBe(0);
      expect(r.score * 10).toBeLessThanOrEqual(maxExposureTenths);
    },
  );

  it('security fails the threshold when the hardening is stripped', () => {
    const weak = unitCopy('vmpool-coordinator.service', (t) =>
      t.replace(/^(Protect|Private|Restrict|SystemCall|Capability|DynamicUser).*$/gm, ''),
    );
    const r = exposure(weak, 11);
    expect(r.status).not.toBe(0);
    expect(r.score).toBeGreaterThan(5);
  });
});

/** Transpiles shared/systemd.ts and shared/log.ts beside a node_modules link so a child node can import them. */
function buildChildModules(): string {
  const dir = join(WORK, 'mods');
  mkdirSync(dir);
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  // the logger and every module it imports (a missing one fails the child at import)
  for (const file of [
    'systemd',
    'log',
    'log-line',
    'iso-time',
    'line-buffer',
    'journal-thread',
    'journal-thread-worker',
  ]) {
    const src = readFileSync(join(REPO, 'shared', `${file}.ts`), 'utf8');
    const out = ts.transpileModule(src, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, `${file}.js`), out.outputText);
  }
  return dir;
}

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(float(sys.argv[3]))
print("ready", flush=True)
for _ in range(int(sys.argv[2])):
    print(s.recv(1 << 20).hex(), flush=True)
`;
import { STRICT_TESTS } from '../shared/testing-env.js';

/** Binds a unix datagram socket with python3 (node has none) and resolves with the first `count` datagrams. */
async function datagramReceiver(path: string, count: number) {
  const child = spawn('python3', ['-c', RECEIVER, path, String(count), '20'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  const received = (async () => {
    const out: Buffer[] = [];
    for (let i = 0; i < count; i++) out.push(Buffer.from((await lines.next()).value ?? '', 'hex'));
    return out;
  })();
  return { received, child };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.on('exit', (code) => done(code)));
}

/** Parses journald's native protocol: KEY=value lines, or KEY\n + u64le length + bytes + \n for binary-safe values. */
function parseJournalDatagram(buf: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    const line = buf.subarray(at, nl).toString('utf8');
    const eq = line.indexOf('=');
    if (eq >= 0) {
      fields[line.slice(0, eq)] = line.slice(eq + 1);
      at = nl + 1;
    } else {
      const len = Number(buf.readBigUInt64LE(nl + 1));
      fields[line] = buf.subarray(nl + 9, nl + 9 + len).toString('utf8');
      at = nl + 9 + len + 1;
    }
  }
  return fields;
}

const MODS = buildChildModules();
const NOTIFY_CHILD = `import { sdNotify } from './systemd.js';
process.stdout.write(JSON.stringify([sdNotify('READY=1'), sdNotify('STATUS=recovered 3 VMs')]));`;
const LOG_CHILD = `import { createLogger } from './log.js';
const log = createLogger({ component: 'agent', fields: { node_id: 'n1' } });
log.info('vm started', { vm_name: 'web-1', vmid: 120, note: 'line one\\nline two' });
log.error('spawn failed', { err: Object.assign(new Error('boom'), { code: 'no_capacity' }) });`;
// one entry that fits a datagram, one too large for one (the sd_journal_sendv memfd path)
const BIG_LOG_CHILD = `import { createLogger } from './log.js';
const log = createLogger({ component: 'coordinator' });
log.info('vm placed', { vm_id: 'v-1', vmid: 7, note: 'a\\nb' });
log.info('big entry', { blob: 'x'.repeat(300000) });`;
writeFileSync(join(MODS, 'notify-child.js'), NOTIFY_CHILD);
writeFileSync(join(MODS, 'log-child.js'), LOG_CHILD);
writeFileSync(join(MODS, 'big-log-child.js'), BIG_LOG_CHILD);
// the coordinator's way: sends on the journal thread, then an error and an exit right after it
writeFileSync(
  join(MODS, 'thread-log-child.js'),
  BIG_LOG_CHILD.replace("component: 'coordinator'", "component: 'coordinator', journalThread: true") +
    "\nlog.error('going down', { err: new Error('boom') });\nprocess.exit(3);",
);

// a real systemd-journald, alone in a private mount namespace (tmpfs /run/systemd and /run/log),
// keeping its journal in that tmpfs; the child logs to it, then journalctl reads the entries back
const REAL_JOURNALD = `set -e
mount -t tmpfs tmpfs /run/systemd && mount -t tmpfs tmpfs /run/log
mkdir -p /run/systemd/journal /run/systemd/journald.conf.d
printf '[Journal]\\nStorage=volatile\\nReadKMSG=no\\n' > /run/systemd/journald.conf.d/test.conf
"$0" </dev/null >/dev/null 2>&1 & jd=$!
i=0; while [ ! -S /run/systemd/journal/socket ]; do i=$((i+1)); [ $i -gt 200 ] && exit 70; sleep 0.05; done
"$1" "$2" || echo "exit $?" >&2
journalctl -D /run/log/journal -o json --all --no-pager SYSLOG_IDENTIFIER=vmpool-coordinator
kill $jd`;
const JOURNALD_BIN = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) =>
  existsSync(p),
);

/** withRealJournald runs a child module against a real journald; its entries (journalctl -o json) and its stderr. */
function withRealJournald(child: string): {
  status: number | null;
  entries: Record<string, string>[];
  stderr: string;
} {
  const stderrPath = join(WORK, `${child}.stderr`);
  const stderrFd = openSync(stderrPath, 'w');
  const st = fstatSync(stderrFd, { bigint: true });
  const run = spawnSync(
    'unshare',
    ['-m', 'sh', '-c', REAL_JOURNALD, String(JOURNALD_BIN), process.execPath, child],
    {
      cwd: MODS,
      env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}`, VMPOOL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', stderrFd],
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    },
  );
  closeSync(stderrFd);
  const entries = run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, string>);
  return { status: run.status, entries, stderr: readFileSync(stderrPath, 'utf8') };
}

describe('sd_notify and journald through libsystemd', () => {
  it('sdNotify in a child node process reaches the NOTIFY_SOCKET datagram listener', async () => {
    const socketPath = join(WORK, 'notify.sock');
    const { received } = await datagramReceiver(socketPath, 2);
    const node = spawnSync(process.execPath, ['notify-child.js'], {
      cwd: MODS,
      env: { ...process.env, NOTIFY_SOCKET: socketPath },
      encoding: 'utf8',
    });
    expect(node.stdout).toBe('[true,true]');
    expect((await received).map((b) => b.toString())).toEqual(['READY=1', 'STATUS=recovered 3 VMs']);
  });

  it('sdNotify is false and harmless without NOTIFY_SOCKET', () => {
    const env = { ...process.env };
    delete env.NOTIFY_SOCKET;
    const node = spawnSync(process.execPath, ['notify-child.js'], { cwd: MODS, env, encoding: 'utf8' });
    expect(node.status).toBe(0);
    expect(node.stdout).toBe('[false,false]');
  });

  it('the logger writes JSON lines on stderr when not under journald', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, VMPOOL_LOG_LEVEL: 'info' };
    delete env.JOURNAL_STREAM;
    const node = spawnSync(process.execPath, ['log-child.js'], { cwd: MODS, env, encoding: 'utf8' });
    const lines = node.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.level, l.msg, l.node_id])).toEqual([
      ['info', 'vm started', 'n1'],
      ['error', 'spawn failed', 'n1'],
    ]);
  });

  // libsystemd always sends to /run/systemd/journal/socket, which is absent here (no systemd as
  // PID 1). A private mount namespace puts our own listener at that path for the child only.
  const canUnshare =
    spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs tmpfs /run/systemd 2>/dev/null || exit 1'])
      .status === 0;

  it.skipIf(!canUnshare && !STRICT_TESTS)(
    'under JOURNAL_STREAM the logger sends native journald entries',
    async () => {
      const sockDir = join(WORK, 'journal');
      mkdirSync(sockDir);
      const { received } = await datagramReceiver(join(sockDir, 'socket'), 2);
      const stderrFd = openSync(join(WORK, 'journal-stderr'), 'w');
      const st = fstatSync(stderrFd, { bigint: true });
      const script = `mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/journal &&
      mount --bind "$0" /run/systemd/journal && exec "$1" log-child.js`;
      const child = spawn('unshare', ['-m', 'sh', '-c', script, sockDir, process.execPath], {
        cwd: MODS,
        env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}`, VMPOOL_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'inherit', stderrFd],
      });
      expect(await exitOf(child)).toBe(0);
      const [info, error] = (await received).map(parseJournalDatagram);
      expect(info).toEqual({
        MESSAGE: 'vm started',
        PRIORITY: '6',
        SYSLOG_IDENTIFIER: 'vmpool-agent',
        NODE_ID: 'n1',
        VM_NAME: 'web-1',
        VMID: '120',
        VMPOOL_NOTE: 'line one\nline two',
      });
      expect(error).toMatchObject({
        MESSAGE: 'spawn failed: boom',
        PRIORITY: '3',
        ERROR_CODE: 'no_capacity',
        VMPOOL_ERR: 'boom',
      });
      expect(readFileSync(join(WORK, 'journal-stderr'), 'utf8')).toBe('');
    },
  );

  it.skipIf((!canUnshare || JOURNALD_BIN === undefined) && !STRICT_TESTS)(
    'a real systemd-journald keeps every field: a datagram entry and one too large for a datagram',
    () => {
      const { status, entries, stderr } = withRealJournald('big-log-child.js');
      expect(status, stderr).toBe(0);
      const placed = entries.find((e) => e.MESSAGE === 'vm placed');
      expect(placed).toMatchObject({
        PRIORITY: '6',
        VM_ID: 'v-1',
        VMID: '7',
        VMPOOL_NOTE: 'a\nb',
        _TRANSPORT: 'journal',
      });
      const big = entries.find((e) => e.MESSAGE === 'big entry');
      expect(big?.VMPOOL_BLOB?.length).toBe(300000);
      // nothing fell back to stderr: both reached the journal natively
      expect(stderr).toBe('');
    },
    30_000,
  );

  it.skipIf((!canUnshare || JOURNALD_BIN === undefined) && !STRICT_TESTS)(
    'on the journal thread (the coordinator) every entry arrives in order, the error before the exit included',
    () => {
      const { status, entries, stderr } = withRealJournald('thread-log-child.js');
      expect(status, stderr).toBe(0);
      expect(entries.map((e) => [e.MESSAGE, e.PRIORITY])).toEqual([
        ['vm placed', '6'],
        ['big entry', '6'],
        ['going down: boom', '3'],
      ]);
      expect(entries[0]).toMatchObject({ VMPOOL_NOTE: 'a\nb', VM_ID: 'v-1' });
      expect(entries[1]?.VMPOOL_BLOB?.length).toBe(300000);
      // the child's exit code reached the wrapper's stderr; nothing else went there
      expect(stderr).toBe('exit 3\n');
    },
    30_000,
  );

  it.skipIf(!canUnshare && !STRICT_TESTS)(
    'on the journal thread with no journald listening, each entry is a JSON line on stderr instead',
    () => {
      const stderrFd = openSync(join(WORK, 'nojournal-stderr'), 'w');
      const st = fstatSync(stderrFd, { bigint: true });
      const script = 'mount -t tmpfs tmpfs /run/systemd && exec "$0" thread-log-child.js';
      const run = spawnSync('unshare', ['-m', 'sh', '-c', script, process.execPath], {
        cwd: MODS,
        env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}`, VMPOOL_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'ignore', stderrFd],
      });
      closeSync(stderrFd);
      expect(run.status).toBe(3);
      const lines = readFileSync(join(WORK, 'nojournal-stderr'), 'utf8').trim().split('\n');
      const messages = lines.map((l) => (JSON.parse(l) as Record<string, string>).MESSAGE);
      expect(messages).toEqual(['vm placed', 'big entry', 'going down: boom']);
    },
    30_000,
  );
});
