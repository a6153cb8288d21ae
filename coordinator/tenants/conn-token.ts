import { timingSafeEqual } from 'node:crypto';

/** LAST is where a connection keeps the last token that verified on it (a symbol: no WeakMap ephemerons). */
const LAST = Symbol('vmpool.lastVerifiedToken');

type Remembered = { readonly token: Buffer; readonly hash: string };
type Conn = object & { [LAST]?: Remembered };

/**
 * digestOn is sha256(bearer) through `hash`, except when `conn` (the request's TCP socket) last
 * verified these very bytes: then the digest kept with them. A keep-alive client sends one token
 * on every request, and hashing it is the auth step's main cost (~9 µs in the coordinator under load).
 *
 * Why this keeps the security properties: the presented bytes are compared with the remembered ones
 * by timingSafeEqual (constant time; a length mismatch says only that the length differs from a
 * token this same connection sent), nothing is shared between connections, so no client can probe
 * another's token, and the digest then goes through the same checks as a fresh one: constant-time
 * against the admin hash, and the tenant's record as it is now (revoked, rotated or deleted tokens
 * stop at once). Only a token that verified is remembered, one per connection, gone with the socket.
 */
export function digestOn(conn: object | undefined, bearer: string, hash: (token: string) => string): string {
  const last = (conn as Conn | undefined)?.[LAST];
  if (last) {
    const given = Buffer.from(bearer, 'utf8');
    if (given.length === last.token.length && timingSafeEqual(given, last.token)) return last.hash;
  }
  return hash(bearer);
}

/** rememberOn keeps a verified token's bytes and digest on its connection for digestOn. */
export function rememberOn(conn: object | undefined, bearer: string, digest: string): void {
  if (!conn) return;
  const last = (conn as Conn)[LAST];
  if (last?.hash === digest) return;
  (conn as Conn)[LAST] = { token: Buffer.from(bearer, 'utf8'), hash: digest };
}
