import { randomBytes } from 'node:crypto';
import { VmpoolError } from '../../shared/errors.js';
import { NODE_AUTH_SCHEME, NODE_ID_RE, NODE_SECRET_RE } from '../../shared/protocol.js';
import type { Store } from '../store/index.js';
import { hashesEqual, hashToken } from '../tenants/tokens.js';

/** LinkCredential is what an agent's upgrade request proved: the join token, or one enrolled node. */
export type LinkCredential = { kind: 'join' } | { kind: 'node'; nodeId: string };

/** IdentityError is a refused agent identity (codes: node_id_in_use, node_unknown). */
export class IdentityError extends VmpoolError {
  constructor(code: 'node_id_in_use' | 'node_unknown', message: string) {
    super(code, message);
    this.name = 'IdentityError';
  }
}

/**
 * NodeIdentity binds node ids to per-node credentials. The join token only enrols a node id nobody
 * holds yet: enrolment issues a 256-bit secret once (only its sha256 is stored) and every later
 * connection must present it. Records are persisted, so a restarted coordinator still knows them.
 */
export class NodeIdentity {
  constructor(
    private readonly store: Store,
    private readonly configuredJoinHash: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** authenticate reads an upgrade's Authorization header; null means refuse with 401. */
  authenticate(header: string | undefined): LinkCredential | null {
    const h = header ?? '';
    const bearer = /^Bearer (\S{1,512})$/.exec(h)?.[1];
    if (bearer !== undefined) return this.isJoinToken(hashToken(bearer)) ? { kind: 'join' } : null;
    const node = new RegExp(`^${NODE_AUTH_SCHEME} ([^:\\s]{1,63}):(\\S{1,128})$`).exec(h);
    if (!node) return null;
    const [, nodeId, secret] = node as unknown as [string, string, string];
    const rec = this.record(nodeId);
    if (!rec || !NODE_SECRET_RE.test(secret)) return null;
    return hashesEqual(hashToken(secret), rec.secret_hash) ? { kind: 'node', nodeId } : null;
  }

  /**
   * admit decides whether a hello for `nodeId` may proceed on a socket with `cred`. A node
   * credential speaks for its own node id only; the join token enrols an unknown id and returns
   * the fresh secret (to hand over once, in the welcome). The check and the write are one store
   * update, so two concurrent enrolments of one id cannot both win.
   */
  async admit(nodeId: string, cred: LinkCredential, now: Date): Promise<{ secret?: string }> {
    if (cred.kind === 'node') {
      if (cred.nodeId !== nodeId)
        throw new IdentityError(
          'node_id_in_use',
          `Cannot accept hello for "${nodeId}": credential is another node's`,
        );
      if (!this.record(nodeId)) throw new IdentityError('node_unknown', `Node "${nodeId}" was removed`);
      return {};
    }
    if (!NODE_ID_RE.test(nodeId)) throw new IdentityError('node_unknown', 'Cannot enrol: bad node id');
    const secret = randomBytes(32).toString('base64url');
    let taken = false;
    await this.store.update((d) => {
      d.nodes ??= {};
      if (Object.hasOwn(d.nodes, nodeId)) {
        taken = true;
        return;
      }
      d.nodes[nodeId] = { id: nodeId, secret_hash: hashToken(secret), enrolled_at: now.toISOString() };
    });
    if (taken)
      throw new IdentityError(
        'node_id_in_use',
        `Cannot enrol "${nodeId}": node id is enrolled; connect with its credential (node_id_in_use)`,
      );
    return { secret };
  }

  /** revoke forgets a node's credential; its next connection is refused. Returns whether it existed. */
  async revoke(nodeId: string): Promise<boolean> {
    if (!this.record(nodeId)) return false;
    await this.store.update((d) => {
      if (d.nodes && Object.hasOwn(d.nodes, nodeId)) delete d.nodes[nodeId];
    });
    return true;
  }

  /**
   * rotateJoinToken replaces the join token (no restart; only its sha256 is stored). The old one
   * still enrols for `graceSeconds` (0: refused at once); enrolled nodes are unaffected.
   */
  async rotateJoinToken(token: string, graceSeconds = 0): Promise<{ oldValidUntil: string }> {
    const until = new Date(this.now().getTime() + graceSeconds * 1000).toISOString();
    const old = this.joinHash();
    await this.store.update((d) => {
      d.join_token_hash = hashToken(token);
      if (graceSeconds > 0) d.join_token_previous = { hash: old, until };
      else delete d.join_token_previous;
    });
    return { oldValidUntil: until };
  }

  /** enrolled lists the enrolled node ids. */
  enrolled(): string[] {
    return Object.keys(this.store.read().nodes ?? {}).sort();
  }

  /** isJoinToken compares in constant time with the join token and a rotated-out one still in its grace. */
  private isJoinToken(hash: string): boolean {
    const current = hashesEqual(hash, this.joinHash());
    const prev = this.store.read().join_token_previous;
    const inGrace =
      prev !== undefined && hashesEqual(hash, prev.hash) && this.now().toISOString() < prev.until;
    return current || inGrace;
  }

  private joinHash(): string {
    return this.store.read().join_token_hash ?? this.configuredJoinHash;
  }

  private record(nodeId: string) {
    const nodes = this.store.read().nodes;
    return nodes && Object.hasOwn(nodes, nodeId) ? nodes[nodeId] : undefined;
  }
}
