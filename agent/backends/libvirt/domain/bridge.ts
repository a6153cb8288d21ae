import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isBridgeName } from '../../../../shared/bridge-name.js';
import { DomainXmlError } from './errors.js';

/** bridgeExists tells whether a Linux bridge named name exists, via sysfs (<sysRoot>/sys/class/net/<name>/bridge). */
export async function bridgeExists(name: string, sysRoot = '/'): Promise<boolean> {
  if (!isBridgeName(name)) {
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
