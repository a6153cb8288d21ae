// agent/topology: what the agent knows about its host (KVM, NUMA nodes, cores, sibling threads).
export { readHostTopology, type ReadHostTopologyOptions } from './detect.js';
export { TopologyError } from './errors.js';
export { capabilitiesKvmArchs, detectKvm, type DetectKvmOptions, type KvmStatus } from './kvm.js';
export { numaNodeOfCpu, type PlacedThread, siblingGroups, siblingOf, threadIndex } from './lookup.js';
export { defaultReadFile, HostFiles, type ReadFileFn } from './reader.js';
export { renderTopologyTable, summariseSiblings } from './render.js';
export { type FreeMemory, readFreeMemory } from './memory.js';
