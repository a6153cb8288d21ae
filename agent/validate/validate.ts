import type { SpawnSpec } from '../../shared/spec.js';
import { checkEmulatorCpus, checkPinCount, checkPins } from './cpu-rules.js';
import { SpawnValidationError } from './errors.js';
import { type HostIndex, type HostView, indexHost } from './host-view.js';
import { checkMemory, checkNuma } from './numa-rules.js';
import { checkBaseImage, checkNewPaths } from './path-rules.js';

/** SpawnRule checks one aspect of a spec against the host and throws its first SpawnValidationError. */
export type SpawnRule = (spec: SpawnSpec, host: HostIndex) => void;

/** SPAWN_RULES run cheapest first; filesystem checks come last. */
export const SPAWN_RULES: readonly SpawnRule[] = [
  checkNameFree,
  checkPinCount,
  checkPins,
  checkEmulatorCpus,
  checkNuma,
  checkMemory,
  checkNewPaths,
  checkBaseImage,
];

/** validateSpawn is the agent's second check of a spawn spec against its live host; throws the first problem. */
export function validateSpawn(spec: SpawnSpec, host: HostView): void {
  const first = spawnIssues(spec, host)[0];
  if (first) throw first;
}

/** spawnIssues runs every rule and returns each rule's first problem (empty when the spec fits). */
export function spawnIssues(spec: SpawnSpec, host: HostView): SpawnValidationError[] {
  const index = indexHost(host);
  const issues: SpawnValidationError[] = [];
  for (const rule of SPAWN_RULES) {
    try {
      rule(spec, index);
    } catch (err) {
      if (!(err instanceof SpawnValidationError)) throw err;
      issues.push(err);
    }
  }
  return issues;
}

/** checkNameFree requires the VM name to be unused among this agent's VMs. */
export function checkNameFree(spec: SpawnSpec, host: HostIndex): void {
  const owner = host.view.vms.find((vm) => vm.name === spec.name);
  if (!owner) return;
  throw new SpawnValidationError(
    'name_in_use',
    'name',
    `Cannot create VM "${spec.name}": name already used by VM ${owner.vm_id}`,
    {
      details: { vm_id: owner.vm_id },
    },
  );
}
