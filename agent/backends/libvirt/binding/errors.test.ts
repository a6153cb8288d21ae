import { describe, expect, it } from 'vitest';
import { VmpoolError } from '../../../../shared/errors.js';
import { isLibvirtError, LibvirtError, libvirtErrorCode } from './errors.js';

const RAW = {
  op: 'lookupDomain',
  symbol: 'virDomainLookupByName',
  libvirtCode: 42,
  domain: 12,
  message: 'Domain not found',
};

describe('libvirtErrorCode', () => {
  it.each([
    [42, 'domain_not_found'],
    [80, 'metadata_not_found'],
    [55, 'operation_invalid'],
    [3, 'not_supported'],
    [27, 'invalid_xml'],
    [1, 'libvirt_error'],
    [12345, 'libvirt_error'],
  ])('maps virErrorNumber %i to %s', (num, code) => {
    expect(libvirtErrorCode(num)).toBe(code);
  });
});

describe('LibvirtError', () => {
  const err = new LibvirtError(RAW, { action: 'look up domain "web-1"' });

  it('is a VmpoolError carrying libvirt code, domain, message and op', () => {
    expect(err).toBeInstanceOf(VmpoolError);
    expect(err).toMatchObject({
      name: 'LibvirtError',
      code: 'domain_not_found',
      libvirtCode: 42,
      domain: 12,
    });
    expect(err).toMatchObject({ op: 'lookupDomain', libvirtMessage: 'Domain not found', retryable: false });
    expect(err.message).toBe('Cannot look up domain "web-1": Domain not found');
  });

  it('toJSON carries the libvirt fields for the wire', () => {
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      code: 'domain_not_found',
      libvirtCode: 42,
      domain: 12,
    });
  });

  it.each([
    [39, true],
    [87, true],
    [42, false],
  ])('libvirt code %i is retryable: %s', (libvirtCode, retryable) => {
    expect(new LibvirtError({ ...RAW, libvirtCode }, { action: 'x' }).retryable).toBe(retryable);
  });

  it('isLibvirtError narrows by libvirt code', () => {
    expect(isLibvirtError(err, 42)).toBe(true);
    expect(isLibvirtError(err, 80)).toBe(false);
    expect(isLibvirtError(new Error('x'))).toBe(false);
  });
});
