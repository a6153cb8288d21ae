import { BrokerError } from '../errors.js';

const MINUTE_MS = 60_000;

interface Event {
  at: number;
  tokens: number;
  request: boolean;
}

/**
 * RateLimiter keeps per-tenant requests and tokens over a sliding minute. check() counts a request
 * (429 rate_limit_requests when over rpm, rate_limit_tokens when the minute's tokens reached tpm);
 * addTokens() charges a finished request's tokens. A limit of 0 is no limit.
 */
export class RateLimiter {
  private readonly events = new Map<string, Event[]>();

  constructor(
    private readonly rpm: number,
    private readonly tpm: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** check admits one request for tenant or throws 429 with Retry-After. */
  check(tenant: string): void {
    if (this.rpm === 0 && this.tpm === 0) return;
    const list = this.recent(tenant);
    const retryAfterS = list.length
      ? Math.max(1, Math.ceil((list[0]!.at + MINUTE_MS - this.now()) / 1000))
      : 1;
    if (this.rpm > 0 && list.filter((e) => e.request).length >= this.rpm)
      throw new BrokerError('rate_limit_requests', `Over ${this.rpm} requests per minute`, { retryAfterS });
    if (this.tpm > 0 && list.reduce((s, e) => s + e.tokens, 0) >= this.tpm)
      throw new BrokerError('rate_limit_tokens', `Over ${this.tpm} tokens per minute`, { retryAfterS });
    list.push({ at: this.now(), tokens: 0, request: true });
  }

  /** addTokens charges tokens to the tenant's current minute. */
  addTokens(tenant: string, tokens: number): void {
    if (this.tpm === 0 || tokens <= 0) return;
    this.recent(tenant).push({ at: this.now(), tokens, request: false });
  }

  private recent(tenant: string): Event[] {
    const from = this.now() - MINUTE_MS;
    const list = (this.events.get(tenant) ?? []).filter((e) => e.at > from);
    this.events.set(tenant, list);
    return list;
  }
}
