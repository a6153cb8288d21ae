import { errorMessage } from '../shared/errors.js';
import { ApiError, ClientError } from './errors.js';

/** FetchFn is the subset of global fetch the client needs; tests pass a hono app's `request`. */
export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** TransportOptions says where the coordinator is and how to authenticate. */
export interface TransportOptions {
  url: string;
  token?: string | undefined;
  fetch?: FetchFn;
  /** timeoutMs bounds each call (not a followed event stream); unset waits as long as the server */
  timeoutMs?: number | undefined;
}

/** RequestOptions adds a body, query and extra headers to one call. */
export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
}

/** Transport sends calls to the coordinator's /v1 API and turns problem+json answers into ApiError. */
export class Transport {
  /** base is the coordinator URL without a trailing slash. */
  readonly base: string;
  private readonly fetchFn: FetchFn;

  constructor(private readonly o: TransportOptions) {
    if (!/^https?:\/\/[^/\s]+/.test(o.url) || !URL.canParse(o.url)) {
      throw new ClientError(
        'invalid_url',
        `Cannot use --url ${JSON.stringify(o.url)}: expected http://HOST:PORT`,
      );
    }
    this.base = o.url.replace(/\/+$/, '');
    this.fetchFn = o.fetch ?? ((input, init) => fetch(input, init));
  }

  /** request sends one call; it resolves to the parsed JSON body, or null for an empty answer. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<unknown> {
    const timeout = this.o.timeoutMs;
    const signal = timeout ? AbortSignal.timeout(timeout) : undefined;
    const res = await this.send(method, path, opts, signal);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.failed(err);
    }
    if (!res.ok) throw apiError(res.status, text);
    return text === '' ? null : parseJson(text, res.status);
  }

  /** stream opens a long-lived GET (an event stream) and resolves to its body once the answer is ok. */
  async stream(
    path: string,
    opts: RequestOptions & { signal?: AbortSignal } = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const res = await this.send('GET', path, opts, opts.signal);
    if (!res.ok) throw apiError(res.status, await res.text());
    if (!res.body)
      throw new ApiError('bad_response', 'Cannot read event stream: empty answer', res.status, {});
    return res.body;
  }

  private async send(
    method: string,
    path: string,
    opts: RequestOptions,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const url = this.base + path + queryString(opts.query);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const body = opts.body === undefined ? null : JSON.stringify(opts.body);
      return await this.fetchFn(url, { method, headers, body, ...(signal ? { signal } : {}) });
    } catch (err) {
      throw this.failed(err);
    }
  }

  private failed(err: unknown): ClientError {
    if ((err as { name?: string }).name === 'TimeoutError')
      return new ClientError(
        'timeout',
        `Cannot get an answer from ${this.base} within ${this.o.timeoutMs} ms`,
        {
          cause: err,
        },
      );
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause === undefined ? errorMessage(err) : errorMessage(cause);
    return new ClientError('unreachable', `Cannot reach coordinator at ${this.base}: ${detail}`, {
      cause: err,
    });
  }
}

function queryString(query: Record<string, string | undefined> | undefined): string {
  const entries = Object.entries(query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}

function apiError(status: number, text: string): ApiError {
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: a proxy or a non-vmpool server answered; keep the status and the text
  }
  const code = typeof body.code === 'string' ? body.code : `http_${status}`;
  const detail =
    typeof body.detail === 'string' ? body.detail : text.trim().slice(0, 200) || `HTTP ${status}`;
  return new ApiError(code, detail, status, body);
}

function parseJson(text: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(
      'bad_response',
      `Cannot read coordinator answer (HTTP ${status}): it is not JSON`,
      status,
      {
        cause: errorMessage(err),
      },
    );
  }
}
