import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainXmlError } from './errors.js';

// Linux IFNAMSIZ is 16 including the NUL; "." and ".." would walk out of /sys/class/net.
const IFACE_NAME_RE = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,15}$/;

/** bridgeExists tells whether a Linux bridge named name exists, via sysfs (<sysRoot>/sys/class/net/<name>/bridge). */
export async function bridgeExists(name: string, sysRoot = '/'): Promise<boolean> {
  if (!IFACE_NAME_RE.test(name)) {
    throw new DomainXmlError(
      'invalid_bridge_name',
      `Cannot look up bridge ${JSON.stringify(name)}: not an interface name`,
    );
  }
  try {
    return (await stat(join(sysRoot, 'sys/class/net', name, 'bridge'))).isDirectory();
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ENOENT' ||
      (err as NodeJS.ErrnoException).code === 'ENOTDIR'
    ) {
      return false;
    }
    throw err;
  }
}
