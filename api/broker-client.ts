import { errorMessage } from '../shared/errors.js';
import type { Reconciliation } from './broker.js';
import { ApiError, ClientError } from './errors.js';
import type { FetchFn } from './transport.js';

/** BillingQuery is a period and, for the admin, an optional tenant. */
export interface BillingQuery {
  from: string;
  to: string;
  tenant?: string | undefined;
}

/**
 * BrokerClient is the typed client of vmpool-broker's billing routes. The broker answers errors in
 * the OpenAI shape ({error: {code, message}}); they become ApiError with that code.
 */
export class BrokerClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string | undefined,
    private readonly fetchFn: FetchFn = (i, init) => fetch(i, init),
  ) {
    if (!/^https?:\/\/[^/\s]+/.test(url) || !URL.canParse(url))
      throw new ClientError(
        'invalid_url',
        `Cannot use --broker ${JSON.stringify(url)}: expected http://HOST:PORT`,
      );
    this.base = url.replace(/\/+$/, '');
  }

  /** reconciliation is GET /v1/billing/reconciliation (admin: every or one tenant; a tenant: itself). */
  reconciliation(q: BillingQuery): Promise<Reconciliation> {
    return this.get('/v1/billing/reconciliation', q);
  }

  /** usage is GET /v1/usage: the calling tenant's own consumption. */
  usage(q: Omit<BillingQuery, 'tenant'>): Promise<Reconciliation> {
    return this.get('/v1/usage', q);
  }

  private async get(path: string, q: BillingQuery): Promise<Reconciliation> {
    const params = new URLSearchParams({ from: q.from, to: q.to, ...(q.tenant ? { tenant: q.tenant } : {}) });
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}?${params}`, {
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
      });
    } catch (err) {
      throw new ClientError('unreachable', `Cannot reach broker at ${this.base}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    const text = await res.text();
    let body: { error?: { code?: unknown; message?: unknown } } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the status
    }
    if (!res.ok) {
      const code = typeof body.error?.code === 'string' ? body.error.code : `http_${res.status}`;
      const message = typeof body.error?.message === 'string' ? body.error.message : `HTTP ${res.status}`;
      throw new ApiError(code, message, res.status, { code, detail: message });
    }
    return body as unknown as Reconciliation;
  }
}
