import { VmpoolError } from '../../shared/errors.js';

/** SidecarErrorCode is the closed set of sidecar failure codes. */
export type SidecarErrorCode =
  | 'sidecar_corrupt'
  | 'sidecar_unknown_version'
  | 'sidecar_write_failed'
  | 'path_outside_images_dir';

/** SidecarError is any failure to read, write or place a VM's sidecar file. */
export class SidecarError extends VmpoolError {
  override readonly code: SidecarErrorCode;

  constructor(
    code: SidecarErrorCode,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown>; retryable?: boolean } = {},
  ) {
    super(code, message, opts);
    this.name = 'SidecarError';
    this.code = code;
  }
}
