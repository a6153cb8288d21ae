// Public surface of the pure placement module; everything else here is internal.
export {
  antiAffinity,
  CHECK_CHAIN,
  type CheckContext,
  type FeasibilityCheck,
  kvmCapable,
  memoryCeiling,
  nodeAlive,
  notCordoned,
  notReserved,
  numaCpuFit,
  numaMemoryFit,
  runChecks,
  vcpuCeiling,
} from './checkers.js';
export { noCapacityError, PlacementError, type PlacementErrorCode } from './errors.js';
export { allocationFromDecision, placeVm } from './place.js';
export { freeSummary, type NodeFreeSummary, type NumaFreeSummary, rejectionCounts } from './summary.js';
export * from './types.js';
