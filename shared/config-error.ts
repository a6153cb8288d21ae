import { VmpoolError } from './errors.js';

/** ConfigError reports a bad flag, config file or environment value (exit code 2). */
export class ConfigError extends VmpoolError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('bad_config', message, opts);
    this.name = 'ConfigError';
  }
}
