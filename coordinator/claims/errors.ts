import { VmpoolError } from '../../shared/errors.js';

/** ClaimError is a claim-book operation on a VM record that is gone (`not_found`, 404). */
export class ClaimError extends VmpoolError {
  constructor(code: 'not_found', message: string) {
    super(code, message);
    this.name = 'ClaimError';
  }
}
