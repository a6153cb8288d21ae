import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../shared/atomic-file.js';
import { AuditError } from './entry.js';

/** AUDIT_KEY_MIN_BYTES is the shortest audit key accepted (256 bits). */
export const AUDIT_KEY_MIN_BYTES = 32;

/**
 * loadAuditKey reads the audit HMAC key: the file's bytes without a trailing newline, at least 32
 * of them. With `create`, a missing file is made with 32 random bytes (base64url), 0600 — the
 * demo and tests; in production hand it in (systemd LoadCredential) so it never sits in the data dir.
 */
export async function loadAuditKey(path: string, o: { create?: boolean } = {}): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !o.create) {
      throw new AuditError(
        'audit_corrupt',
        `Cannot read audit key file "${path}": ${(err as Error).message}`,
      );
    }
    text = `${randomBytes(32).toString('base64url')}\n`;
    await writeFileAtomic(path, text, { mode: 0o600 });
  }
  const key = Buffer.from(text.replace(/\r?\n$/, ''), 'utf8');
  if (key.length < AUDIT_KEY_MIN_BYTES)
    throw new AuditError('audit_corrupt', `Cannot use audit key file "${path}": needs at least 32 bytes`);
  return key;
}
