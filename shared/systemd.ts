import { existsSync, fstatSync } from 'node:fs';
import koffi, { type LibraryHandle } from 'koffi';

// This module imports nothing from the project so tests can transpile it alone into a child process.

/** SystemdBinding is the slice of libsystemd vmpool calls: readiness, watchdog and the native journal. */
export interface SystemdBinding {
  notify(state: string): number;
  watchdogEnabledUsec(): number | null;
  journalSendv(iovecs: readonly Buffer[]): number;
  /** sends one datagram already in the native protocol to journald's socket: bytes sent, or -errno */
  journalDatagram(frame: Buffer): number;
  /** whether journald's native socket exists (sd_journal_sendv reports success when it does not) */
  journalListening(): boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

let cached: SystemdBinding | null | undefined;

/** loadSystemd opens libsystemd.so.0 once; null when it is absent, so callers degrade to no-ops. */
export function loadSystemd(): SystemdBinding | null {
  if (cached === undefined) cached = tryBind();
  return cached;
}

function tryBind(): SystemdBinding | null {
  try {
    return bindLibsystemd(koffi.load('libsystemd.so.0'), journalSocketOrNone());
  } catch {
    return null;
  }
}

// journald's native socket; a unit with LogNamespace= sees its namespace's socket at this same path
const JOURNAL_SOCKET = '/run/systemd/journal/socket';
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;

const ENOENT = 2;
const ECONNREFUSED = 111;
const ENOSYS = 38;

/** journalSocketOrNone binds the datagram path, or one that always fails (ENOSYS) without glibc, so sd_journal_sendv serves. */
function journalSocketOrNone(): (frame: Buffer) => number {
  try {
    return bindJournalSocket(koffi.load('libc.so.6'));
  } catch {
    return () => -ENOSYS;
  }
}

/**
 * bindJournalSocket is what sd_journal_sendv does for an entry that fits one datagram, without its
 * per-field iovec array (which koffi builds from JS objects at ~4 µs a line): one unconnected
 * SOCK_DGRAM socket, opened on first use, and one sendto per entry to the socket's path, so a
 * restarted journald is found again. Blocking, as libsystemd's: a journald that lags slows the sender
 * rather than losing lines.
 */
function bindJournalSocket(libc: LibraryHandle): (frame: Buffer) => number {
  const socket = libc.func('socket', 'int', ['int', 'int', 'int']);
  const sendto = libc.func('sendto', 'intptr_t', ['int', 'void *', 'size_t', 'int', 'void *', 'uint32_t']);
  // struct sockaddr_un: sa_family_t (u16), then the NUL-terminated path
  const addr = Buffer.alloc(2 + JOURNAL_SOCKET.length + 1);
  addr.writeUInt16LE(AF_UNIX, 0);
  addr.write(JOURNAL_SOCKET, 2, 'latin1');
  let fd = -1;
  return (frame) => {
    if (fd < 0) fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) return -koffi.errno();
    const sent = Number(sendto(fd, frame, frame.length, MSG_NOSIGNAL, addr, addr.length));
    return sent < 0 ? -koffi.errno() : sent;
  };
}

function bindLibsystemd(lib: LibraryHandle, journalDatagram: (frame: Buffer) => number): SystemdBinding {
  // Anonymous struct: koffi type names are process-global and another module may declare `iovec`.
  const iovec = koffi.struct({ iov_base: 'void *', iov_len: 'size_t' });
  const sdNotifyFn = lib.func('sd_notify', 'int', ['int', 'str']);
  const sdWatchdogEnabled = lib.func('sd_watchdog_enabled', 'int', [
    'int',
    koffi.out(koffi.pointer('uint64_t')),
  ]);
  const sdJournalSendv = lib.func('sd_journal_sendv', 'int', [koffi.pointer(iovec), 'int']);
  return {
    // unset_environment=0 keeps NOTIFY_SOCKET so later READY/STATUS/WATCHDOG messages still arrive.
    notify: (state) => sdNotifyFn(0, state) as number,
    watchdogEnabledUsec: () => {
      const usec: number[] = [0];
      const enabled = sdWatchdogEnabled(0, usec) as number;
      return enabled > 0 ? Number(usec[0]) : null;
    },
    journalSendv: (bufs) =>
      sdJournalSendv(
        bufs.map((b) => ({ iov_base: b, iov_len: b.length })),
        bufs.length,
      ) as number,
    journalDatagram,
    journalListening: () => existsSync(JOURNAL_SOCKET),
  };
}

/** sdNotify sends one state line (READY=1, STATUS=…, WATCHDOG=1, STOPPING=1) to systemd; false when not delivered. */
export function sdNotify(state: string, binding: SystemdBinding | null = loadSystemd()): boolean {
  if (binding === null) return false;
  // sd_notify returns 0 when NOTIFY_SOCKET is unset and a negative errno on failure.
  return binding.notify(state) > 0;
}

/** parseWatchdogEnv reads WATCHDOG_USEC/WATCHDOG_PID as systemd sets them; the timeout in µs or null. */
export function parseWatchdogEnv(env: Env, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  // The variables are inherited by children; only the PID systemd watches may ping.
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return null;
  return usec;
}

/** watchdogIntervalMs gives how often to send WATCHDOG=1 (half the timeout), or null when no watchdog is set. */
export function watchdogIntervalMs(binding: SystemdBinding | null = loadSystemd()): number | null {
  const usec = binding !== null ? binding.watchdogEnabledUsec() : parseWatchdogEnv(process.env, process.pid);
  if (usec === null) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/** WatchdogOptions injects the interval and the notifier, for tests. */
export interface WatchdogOptions {
  intervalMs?: number | null;
  notify?: (state: string) => boolean;
}

/** startWatchdog pings WATCHDOG=1 at half the timeout on an unref'd timer; returns the function that stops it. */
export function startWatchdog(opts: WatchdogOptions = {}): () => void {
  const intervalMs = opts.intervalMs === undefined ? watchdogIntervalMs() : opts.intervalMs;
  if (intervalMs === null) return () => {};
  const notify = opts.notify ?? ((state: string) => sdNotify(state));
  const timer = setInterval(() => notify('WATCHDOG=1'), intervalMs);
  // The watchdog must never be what keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * journalSend writes one native journald entry of KEY=value fields (values may hold newlines); false
 * on failure. The entry goes as one datagram; one the socket refuses (too large for a datagram, say)
 * goes through sd_journal_sendv, which passes a large entry in a memfd. False when no journald
 * listens.
 */
export function journalSend(
  fields: Readonly<Record<string, string>>,
  binding: SystemdBinding | null = loadSystemd(),
): boolean {
  const frame = journalFrame(fields);
  return frame !== null && sendJournalFrame(frame, binding);
}

/** sendJournalFrame sends a frame journalFrame built, as journalSend does; false on failure or when no journald listens. */
export function sendJournalFrame(frame: Buffer, binding: SystemdBinding | null = loadSystemd()): boolean {
  if (binding === null) return false;
  const sent = binding.journalDatagram(frame);
  if (sent >= 0) return true;
  // nothing listens: sd_journal_sendv would report success and drop the entry; false lets the
  // logger write it to stderr, which under systemd is the journal's stream socket
  if (sent === -ENOENT || sent === -ECONNREFUSED || !binding.journalListening()) return false;
  const fields = parseJournalFrame(frame);
  const iovecs = Object.keys(fields).map((key) => Buffer.from(`${key}=${fields[key]}`, 'utf8'));
  return binding.journalSendv(iovecs) >= 0;
}

const NEWLINE = Buffer.from('\n');

/**
 * journalFrame is the entry in journald's native protocol: `KEY=value\n` per field, or, for a value
 * holding a newline, `KEY\n`, its byte length as a little-endian u64, the bytes and `\n`. Null for no
 * fields. Names must already be journald field names (journalFieldName in log.ts).
 */
export function journalFrame(fields: Readonly<Record<string, string>>): Buffer | null {
  let text = '';
  let parts: Buffer[] | null = null;
  let count = 0;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key] as string;
    count++;
    if (!value.includes('\n')) {
      text += `${key}=${value}\n`;
      continue;
    }
    parts ??= [];
    const bytes = Buffer.from(value, 'utf8');
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(bytes.length));
    parts.push(Buffer.from(`${text}${key}\n`, 'utf8'), size, bytes, NEWLINE);
    text = '';
  }
  if (count === 0) return null;
  if (parts === null) return Buffer.from(text, 'utf8');
  parts.push(Buffer.from(text, 'utf8'));
  return Buffer.concat(parts);
}

/**
 * parseJournalFrame reads a native-protocol frame (journalFrame's output) back into its fields, for
 * the paths that need them apart: sd_journal_sendv's iovecs, or a JSON line when journald is gone.
 */
export function parseJournalFrame(frame: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let at = 0;
  while (at < frame.length) {
    const nl = frame.indexOf(10, at);
    if (nl < 0) break;
    const line = frame.toString('utf8', at, nl);
    const eq = line.indexOf('=');
    if (eq >= 0) {
      fields[line.slice(0, eq)] = line.slice(eq + 1);
      at = nl + 1;
      continue;
    }
    // KEY\n, u64le length, the bytes, \n (a frame cut short ends the fields read)
    if (nl + 9 > frame.length) break;
    const size = Number(frame.readBigUInt64LE(nl + 1));
    const start = nl + 9;
    if (start + size > frame.length) break;
    fields[line] = frame.toString('utf8', start, start + size);
    at = start + size + 1;
  }
  return fields;
}

/** underJournald tells whether stderr is the journal stream systemd connected (JOURNAL_STREAM is "dev:ino" of fd 2). */
export function underJournald(env: Env = process.env, fd = 2): boolean {
  const match = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (match === null) return false;
  try {
    // bigint: inode numbers can exceed 2^53 on some filesystems.
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(match[1] ?? '') && st.ino === BigInt(match[2] ?? '');
  } catch {
    return false;
  }
}

/**
 * stderrPriority is the "<N>" syslog prefix for a plain stderr line when stderr is the journal
 * stream (systemd's SyslogLevelPrefix= reads it), so a start-up failure is an error entry and not
 * info; empty elsewhere, where the prefix would only be noise.
 */
export function stderrPriority(level: number, env: Env = process.env): string {
  return underJournald(env) ? `<${level}>` : '';
}
