import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ConfigError } from './config.js';

/** ListenAddress is a resolved host and port to bind. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * resolveListen turns "ADDR:PORT" or "IFACE:PORT" (e.g. "wg0:7700") into a bind address.
 * Wildcards need allowAll: services bind only where configured (seed 002 binds to WireGuard addresses).
 */
export function resolveListen(
  spec: string,
  opts: { allowAll?: boolean; interfaces?: ReturnType<typeof networkInterfaces> } = {},
): ListenAddress {
  const m = /^(.*):(\d{1,5})$/.exec(spec.trim());
  if (!m)
    throw new ConfigError(
      `Cannot use listen address ${JSON.stringify(spec)}: expected ADDR:PORT or IFACE:PORT`,
    );
  const port = Number(m[2]);
  if (port > 65_535) throw new ConfigError(`Cannot use listen port ${port}: out of range`);
  const hostPart = m[1]!.replace(/^\[(.*)\]$/, '$1');
  if (hostPart === '' || hostPart === '*' || isUnspecified(hostPart)) {
    if (!opts.allowAll) {
      throw new ConfigError(
        `Cannot listen on all addresses (${spec}) without --listen-all: give an address or an interface such as wg0:7700`,
      );
    }
    return { host: isIP(hostPart) ? hostPart : '0.0.0.0', port };
  }
  if (isIP(hostPart) || hostPart === 'localhost') return { host: hostPart, port };
  return { host: interfaceAddress(hostPart, opts.interfaces ?? networkInterfaces()), port };
}

function interfaceAddress(name: string, ifaces: ReturnType<typeof networkInterfaces>): string {
  const addrs = ifaces[name];
  if (!addrs || addrs.length === 0) {
    // say exactly what to change: the example config names wg0, which a fresh host may not have
    const here = Object.keys(ifaces).join(', ') || 'none';
    throw new ConfigError(
      `Cannot listen on interface ${JSON.stringify(name)}: no such interface or no address; set listen ` +
        `(--listen, VMPOOL_LISTEN or "listen" in the config file) to IFACE:PORT with an interface here ` +
        `(${here}) or to ADDR:PORT such as 127.0.0.1:7700`,
    );
  }
  const v4 = addrs.find((a) => a.family === 'IPv4');
  return (v4 ?? addrs[0]!).address;
}

/** isUnspecified catches every spelling of "all addresses": 0.0.0.0, ::, 0::0, ::ffff:0.0.0.0, … */
function isUnspecified(host: string): boolean {
  if (isIP(host) === 4) return host.split('.').every((octet) => Number(octet) === 0);
  if (isIP(host) !== 6) return false;
  const normal = new URL(`http://[${host}]/`).hostname;
  return normal === '[::]' || normal === '[::ffff:0:0]';
}
