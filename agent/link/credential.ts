import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../shared/atomic-file.js';
import { NODE_SECRET_RE } from '../../shared/protocol.js';

/** NodeCredential is where an agent keeps the secret the coordinator issued at enrolment. */
export interface NodeCredential {
  /** read returns the stored secret, or null before enrolment (a malformed file reads as none) */
  read(): Promise<string | null>;
  /** save stores the secret durably, 0600 in a 0700 directory */
  save(secret: string): Promise<void>;
}

/** fileCredential keeps the node credential in one file (`<state-dir>/node-credential`). */
export function fileCredential(path: string): NodeCredential {
  return {
    read: async () => {
      const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      const secret = text?.trim() ?? null;
      return secret !== null && NODE_SECRET_RE.test(secret) ? secret : null;
    },
    save: async (secret) => {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, `${secret}\n`, { mode: 0o600 });
    },
  };
}

/** memoryCredential keeps the secret in memory only (tests, one-shot runs). */
export function memoryCredential(initial: string | null = null): NodeCredential {
  let secret = initial;
  return {
    read: async () => secret,
    save: async (s) => {
      secret = s;
    },
  };
}
