import { z } from 'zod';
import { IdParamSchema } from './query.js';

/** KeptDisk is one destroyed VM whose disks an admin kept on its node (GET /v1/kept-disks). */
export interface KeptDisk {
  id: string;
  node_id: string;
  tenant: string;
  vm_name: string;
  vmid: number;
  disk_gb: number;
  kept_at: string;
}

/** KeptDiskList is GET /v1/kept-disks. */
export interface KeptDiskList {
  kept_disks: KeptDisk[];
}

/** KeptDiskParamSchema is the `{id}` of /v1/kept-disks/{id} (the destroyed VM's id). */
export const KeptDiskParamSchema = z.strictObject({ id: IdParamSchema });
