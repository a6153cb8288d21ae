import { describe, expect, it } from 'vitest';
import { checkLicense, generateLicenseKeys, issueLicense, loadPublicKey } from './license.js';

const keys = generateLicenseKeys();
const key = loadPublicKey(keys.publicPem);
const lic = {
  id: 'L1',
  licensee: 'acme',
  issued_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-02-01T00:00:00.000Z',
};
const text = issueLicense(lic, keys.privatePem);
const mid = Date.parse('2026-01-15T00:00:00Z');

describe('license', () => {
  it('accepts a signed license inside its period', () => {
    expect(checkLicense(text, key, { now: mid })).toEqual({ valid: true, license: lic });
  });

  it('refuses expiry, not-yet-valid, revocation, a missing file and junk', () => {
    expect(checkLicense(text, key, { now: Date.parse(lic.expires_at) })).toMatchObject({
      valid: false,
      reason: 'expired',
    });
    expect(checkLicense(text, key, { now: 0 })).toMatchObject({ valid: false, reason: 'not_yet_valid' });
    expect(checkLicense(text, key, { now: mid, revoked: new Set(['L1']) })).toMatchObject({
      reason: 'revoked',
    });
    expect(checkLicense(null, key, { now: mid })).toMatchObject({ reason: 'missing' });
    expect(checkLicense('nope', key, { now: mid })).toMatchObject({ reason: 'malformed' });
  });

  it('refuses a changed payload and another key’s signature', () => {
    const f = JSON.parse(text);
    const payload = Buffer.from(JSON.stringify({ ...lic, expires_at: '2099-01-01T00:00:00.000Z' })).toString(
      'base64url',
    );
    expect(checkLicense(JSON.stringify({ ...f, payload }), key, { now: mid })).toMatchObject({
      reason: 'bad_signature',
    });
    const other = loadPublicKey(generateLicenseKeys().publicPem);
    expect(checkLicense(text, other, { now: mid })).toMatchObject({ reason: 'bad_signature' });
  });

  it('loadPublicKey refuses a key that is not Ed25519', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(() => loadPublicKey(rsa.toString())).toThrow(/Ed25519/);
  });
});
