import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { z } from 'zod';

/** LicenseSchema is what a license grants: who, from when, until when. */
export const LicenseSchema = z
  .object({
    id: z.string().min(1).max(128),
    licensee: z.string().min(1).max(256),
    issued_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
  })
  .strict();

/** License is a verified license's content. */
export type License = z.output<typeof LicenseSchema>;

/** LicenseFileSchema is the file: the license JSON as base64url and its Ed25519 signature over those bytes. */
const LicenseFileSchema = z.object({ payload: z.string().min(1), signature: z.string().min(1) }).strict();

/** LicenseVerdict says whether a license lets the broker admit requests, and why not. */
export type LicenseVerdict =
  | { valid: true; license: License }
  | {
      valid: false;
      reason: 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'revoked';
      detail: string;
      license?: License;
    };

/** loadPublicKey reads an Ed25519 public key from PEM text. */
export function loadPublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('expected an Ed25519 public key');
  return key;
}

/** issueLicense signs a license with an Ed25519 private key (PEM) and returns the file text. */
export function issueLicense(license: License, privatePem: string): string {
  const key = createPrivateKey(privatePem);
  const bytes = Buffer.from(JSON.stringify(LicenseSchema.parse(license)), 'utf8');
  const signature = sign(null, bytes, key);
  return `${JSON.stringify({ payload: bytes.toString('base64url'), signature: signature.toString('base64url') }, null, 2)}\n`;
}

/** generateLicenseKeys makes an Ed25519 key pair as PEM text (for test licenses and new vendors). */
export function generateLicenseKeys(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** checkLicense verifies a license file's text (null: no file) against the key, the clock and the revocations. */
export function checkLicense(
  text: string | null,
  key: KeyObject,
  opts: { now: number; revoked?: ReadonlySet<string> },
): LicenseVerdict {
  if (text === null) return { valid: false, reason: 'missing', detail: 'No license file' };
  let file: z.output<typeof LicenseFileSchema>;
  try {
    file = LicenseFileSchema.parse(JSON.parse(text));
  } catch {
    return { valid: false, reason: 'malformed', detail: 'License file is not {payload, signature} JSON' };
  }
  const bytes = Buffer.from(file.payload, 'base64url');
  if (!verify(null, bytes, key, Buffer.from(file.signature, 'base64url')))
    return {
      valid: false,
      reason: 'bad_signature',
      detail: 'License signature does not match the public key',
    };
  const parsed = LicenseSchema.safeParse(safeJson(bytes.toString('utf8')));
  if (!parsed.success)
    return { valid: false, reason: 'malformed', detail: 'Signed license content is malformed' };
  const license = parsed.data;
  if (opts.revoked?.has(license.id))
    return { valid: false, reason: 'revoked', detail: `License ${license.id} is revoked`, license };
  if (opts.now < Date.parse(license.issued_at))
    return {
      valid: false,
      reason: 'not_yet_valid',
      detail: `License valid from ${license.issued_at}`,
      license,
    };
  if (opts.now >= Date.parse(license.expires_at))
    return { valid: false, reason: 'expired', detail: `License expired at ${license.expires_at}`, license };
  return { valid: true, license };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
