/** VmpoolError is the base of every typed error in vmpool: a stable `code`, retryable flag and wire form. */
export class VmpoolError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    opts: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VmpoolError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details;
  }

  /** toJSON gives the wire form: name, code, message, retryable and details; never the stack. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...this.details,
    };
  }
}

/** isVmpoolError narrows unknown values thrown across module boundaries. */
export function isVmpoolError(err: unknown): err is VmpoolError {
  return err instanceof VmpoolError;
}

/** errorMessage gives a printable message for any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
