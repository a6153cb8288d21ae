import { VmpoolError } from '../../../../shared/errors.js';

/** DomainXmlErrorCode is the closed set of reasons building or reading domain XML fails. */
export type DomainXmlErrorCode =
  | 'bridge_not_found'
  | 'invalid_bridge_name'
  | 'invalid_domain_spec'
  | 'invalid_xml_char'
  | 'invalid_domain_xml';

/** DomainXmlError reports a domain XML that cannot be built or a domain XML that cannot be read. */
export class DomainXmlError extends VmpoolError {
  declare readonly code: DomainXmlErrorCode;

  constructor(
    code: DomainXmlErrorCode,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, opts);
    this.name = 'DomainXmlError';
  }
}
