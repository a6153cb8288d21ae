import { VmpoolError } from '../../shared/errors.js';

/** TopologyError reports host topology that cannot be read or makes no sense (code `topology_unreadable`). */
export class TopologyError extends VmpoolError {
  constructor(message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('topology_unreadable', message, opts);
    this.name = 'TopologyError';
  }
}
