import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../../shared/log.js';

const ApiKeysFileSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      tenant: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});

/**
 * ApiKeys is the per-tenant API key file: only sha256 digests, never keys. It is re-read when its
 * mtime changes (looked at no more than once a second); an unreadable file keeps the last good set.
 */
export class ApiKeys {
  private byHash = new Map<string, string>();
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.reload();
  }

  /** tenantFor gives the tenant whose key hashes to hash, or undefined. */
  tenantFor(hash: string): string | undefined {
    if (Date.now() - this.checkedAt > 1000) this.reload();
    return this.byHash.get(hash);
  }

  private reload(): void {
    this.checkedAt = Date.now();
    try {
      const st = statSync(this.path);
      if (st.mtimeMs === this.mtimeMs) return;
      const parsed = ApiKeysFileSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
      this.byHash = new Map(parsed.keys.map((k) => [k.sha256, k.tenant]));
      this.mtimeMs = st.mtimeMs;
      this.log.info('api keys loaded', { path: this.path, keys: this.byHash.size });
    } catch (err) {
      this.log.error('api keys unreadable', { path: this.path, err });
    }
  }
}
