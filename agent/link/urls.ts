/** agentUrl turns a coordinator base URL into its agent WebSocket endpoint. */
export function agentUrl(base: string): string {
  const u = new URL(base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/agents/connect';
  return u.toString();
}

/** agentUrls splits a comma list of coordinator base URLs into agent endpoints (HA: any order). */
export function agentUrls(list: string): string[] {
  return list
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map(agentUrl);
}

/**
 * UrlRing picks which coordinator to dial next: the leader a follower named (once), else the next
 * URL of the list, round-robin, so a dead coordinator is skipped on the following attempt.
 */
export class UrlRing {
  private i = 0;
  private hint: string | null = null;
  /** named is a leader named during the dial in progress; it becomes the hint when that dial ends */
  private named: string | null = null;

  constructor(private readonly urls: readonly string[]) {
    if (urls.length === 0) throw new Error('UrlRing needs at least one URL');
  }

  /** current is the URL to dial now. */
  current(): string {
    return this.hint ?? this.urls[this.i]!;
  }

  /** leaderIs records a follower's answer naming the leader's base URL (empty: unknown). */
  leaderIs(base: string): void {
    if (!base) return;
    try {
      this.named = agentUrl(base);
    } catch {
      this.named = null;
    }
  }

  /** failed moves on after a dial or link that ended: to the named leader, else the next URL. */
  failed(): void {
    const named = this.named;
    this.named = null;
    if (named && named !== this.current()) {
      this.hint = named;
      return;
    }
    if (this.hint) {
      this.hint = null; // the named leader did not take us either: back to the list
      return;
    }
    this.i = (this.i + 1) % this.urls.length;
  }

  /** hasHint says whether the next dial goes to a leader a follower named (dial it at once). */
  get hasHint(): boolean {
    return this.hint !== null;
  }
}
