import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VmpoolError } from '../../shared/errors.js';

const VM_ID_RE = /^[A-Za-z0-9-]{1,64}$/;

/**
 * removeKeptDisks deletes what a destroy with keep_disk left of a VM: its folder <images>/vms/<id>.
 * A VM the agent still holds is refused (vm_in_use); a folder already gone is success, so the
 * coordinator can retry after a lost answer.
 */
export async function removeKeptDisks(imagesDir: string, vmId: string, held: boolean): Promise<void> {
  // the wire schema checks this too; a path segment is never built from an unchecked id
  if (!VM_ID_RE.test(vmId)) throw new VmpoolError('bad_request', 'Cannot remove kept disks: bad VM id');
  if (held) throw new VmpoolError('vm_in_use', 'Cannot remove kept disks: the VM still exists on this node');
  await rm(join(imagesDir, 'vms', vmId), { recursive: true, force: true });
}
