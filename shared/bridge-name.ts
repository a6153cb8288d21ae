import { z } from 'zod';

// One rule for a bridge name, used by the coordinator (422 at create, before any claim) and the
// agent (before it looks the name up in sysfs). Linux IFNAMSIZ is 16 including the NUL; "." and
// ".." are refused because they would walk out of /sys/class/net.

/** BRIDGE_NAME_RE is a Linux interface name that is safe as a path segment. */
export const BRIDGE_NAME_RE = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,15}$/;

/** isBridgeName says whether name is a valid bridge name. */
export function isBridgeName(name: string): boolean {
  return BRIDGE_NAME_RE.test(name);
}

/** BridgeNameSchema is the zod form of the bridge-name rule. */
export const BridgeNameSchema = z
  .string()
  .regex(BRIDGE_NAME_RE, 'must be a Linux interface name (1-15 of A-Z a-z 0-9 _ . -, not "." or "..")');
