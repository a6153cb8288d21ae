import { UNDEFINE, VIR_ERR } from './constants.js';

/**
 * UNDEFINE_FLAG_LADDER is tried widest cleanup first; drivers that reject a flag (the test driver
 * rejects NVRAM and CHECKPOINTS with VIR_ERR_INVALID_ARG) get the next narrower set, and finally
 * plain virDomainUndefine. Shared by the koffi binding and the RPC client.
 */
export const UNDEFINE_FLAG_LADDER: readonly number[] = [
  UNDEFINE.MANAGED_SAVE | UNDEFINE.SNAPSHOTS_METADATA | UNDEFINE.NVRAM | UNDEFINE.CHECKPOINTS_METADATA,
  UNDEFINE.MANAGED_SAVE | UNDEFINE.SNAPSHOTS_METADATA | UNDEFINE.CHECKPOINTS_METADATA,
  UNDEFINE.MANAGED_SAVE | UNDEFINE.SNAPSHOTS_METADATA,
];

/** FLAG_REJECTED holds the error numbers a driver answers a flag it does not support with. */
export const FLAG_REJECTED: ReadonlySet<number> = new Set([
  VIR_ERR.INVALID_ARG,
  VIR_ERR.NO_SUPPORT,
  VIR_ERR.ARGUMENT_UNSUPPORTED,
  VIR_ERR.OPERATION_UNSUPPORTED,
]);
