import * as nodeCrypto from 'node:crypto';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** oneShot is crypto.hash (Node >= 20.12): one native call, no Hash object per request. */
const oneShot = (nodeCrypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

/** TOKEN_PREFIX marks vmpool bearer tokens so they are recognisable in configs and secret scanners. */
export const TOKEN_PREFIX = 'vmp_';

/**
 * generateToken makes a bearer token (`vmp_` + base64url of 32 random bytes) and its stored hash.
 *
 * The token carries 256 bits of randomness, so plain sha256 is enough: a slow KDF (scrypt) only
 * helps against guessing low-entropy secrets such as passwords, and 2^256 candidates cannot be
 * enumerated however fast the hash is. Fast hashing also keeps per-request auth cheap.
 */
export function generateToken(): { token: string; hash: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** hashToken is the sha256 hex digest stored in place of a token. */
export function hashToken(token: string): string {
  if (oneShot) return oneShot('sha256', token, 'hex'); // strings hash as UTF-8, as update() does
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** verifyToken checks token against a stored hash in constant time. */
export function verifyToken(token: string, hash: string): boolean {
  return hashesEqual(hashToken(token), hash);
}

/** hashesEqual compares two hex digests in constant time (false on any length mismatch). */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // timingSafeEqual throws on unequal lengths; digests of one algorithm never differ in length.
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * hashMatcher is hashesEqual against one stored digest whose bytes are made once: the check a
 * request runs against the admin token's hash, still constant time (timingSafeEqual).
 */
export function hashMatcher(stored: string): (hash: string) => boolean {
  const right = Buffer.from(stored, 'utf8');
  return (hash) => {
    const left = Buffer.from(hash, 'utf8');
    return left.length === right.length && timingSafeEqual(left, right);
  };
}
