import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * openFlagsOf reads the open(2) flags of every descriptor this process holds on `path`
 * (/proc/self/fdinfo's octal `flags:`), so a test can check how a file was opened (O_DSYNC, say).
 */
export function openFlagsOf(path: string): number[] {
  const flags: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed since the listing
    }
    if (target !== path) continue;
    const line = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (line?.[1] !== undefined) flags.push(Number.parseInt(line[1], 8));
  }
  return flags;
}
