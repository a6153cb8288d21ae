export {
  type VmidAllocation,
  type VmidRequest,
  allocate,
  bandOf,
  checkName,
  findBand,
  usedVmids,
} from './allocator.js';
export {
  type Band,
  type BandConfig,
  BandConfigSchema,
  BandError,
  type BandErrorCode,
  BandSchema,
  checkOverlaps,
  loadBandConfig,
  parseBandConfig,
} from './config.js';
export { type BandUsage, bandSummary } from './summary.js';
