import { VmpoolError } from '../../shared/errors.js';

/** SpawnValidationCode is the closed set of reasons the agent refuses a spawn spec on this host. */
export type SpawnValidationCode =
  | 'pin_not_online'
  | 'pin_host_reserved'
  | 'pin_in_use'
  | 'pin_duplicate'
  | 'pin_count_mismatch'
  | 'numa_mismatch'
  | 'numa_node_unknown'
  | 'insufficient_memory'
  | 'emulator_cpu_unknown'
  | 'path_outside_images_dir'
  | 'path_symlink_escape'
  | 'path_exists'
  | 'path_duplicate'
  | 'base_image_missing'
  | 'disk_too_small'
  | 'base_image_is_vm_disk'
  | 'base_image_outside_base_dir'
  | 'name_in_use';

/** SpawnValidationError is a spawn spec that is well-formed but does not fit this host; `details.field` names the spec field. */
export class SpawnValidationError extends VmpoolError {
  override readonly code: SpawnValidationCode;
  readonly field: string;

  constructor(
    code: SpawnValidationCode,
    field: string,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, { cause: opts.cause, details: { field, ...opts.details } });
    this.name = 'SpawnValidationError';
    this.code = code;
    this.field = field;
  }
}
