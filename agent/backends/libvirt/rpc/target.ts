import { existsSync } from 'node:fs';

// Which URIs the RPC client serves, and where their daemon listens.

/** LIBVIRTD_SOCKET is the monolithic libvirtd's read-write socket (Debian 12, scripts/host-deps.sh). */
export const LIBVIRTD_SOCKET = '/var/run/libvirt/libvirt-sock';
/** VIRTQEMUD_SOCKET is the modular QEMU daemon's socket. */
export const VIRTQEMUD_SOCKET = '/var/run/libvirt/virtqemud-sock';

/** DaemonTarget is a daemon URI resolved: the socket to dial and the URI the daemon should open. */
export interface DaemonTarget {
  /** sockets are tried in order; the first that exists is used */
  readonly sockets: readonly string[];
  /** name is sent in CONNECT_OPEN: the URI without transport and socket (test+unix:///default → test:///default) */
  readonly name: string;
}

/**
 * daemonTarget resolves URIs a libvirt daemon serves over its local unix socket: `<driver>+unix://…`
 * (with an optional `?socket=` path) and `qemu:///system`. Anything else (test:///…, which libvirt
 * runs in-process; remote transports such as +ssh or +tcp; per-user session daemons) gives null.
 */
export function daemonTarget(uri: string): DaemonTarget | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  const [driver = '', transport, ...extra] = url.protocol.slice(0, -1).split('+');
  if (url.host !== '' || extra.length > 0) return null;
  if (transport !== undefined && transport !== 'unix') return null;
  if (transport === undefined && !(driver === 'qemu' && url.pathname === '/system')) return null;
  const socket = url.searchParams.get('socket');
  url.searchParams.delete('socket');
  const query = url.searchParams.toString();
  const name = `${driver}://${url.pathname}${query === '' ? '' : `?${query}`}`;
  if (socket !== null) return { sockets: [socket], name };
  return { sockets: driver === 'qemu' ? [LIBVIRTD_SOCKET, VIRTQEMUD_SOCKET] : [LIBVIRTD_SOCKET], name };
}

/** pickSocket returns the first socket that exists, or null. */
export function pickSocket(
  target: DaemonTarget,
  exists: (path: string) => boolean = existsSync,
): string | null {
  return target.sockets.find((path) => exists(path)) ?? null;
}
