/**
 * Edge parsing for the HTTP routes (Firecracker's ParsedRequest): each middleware runs a zod schema
 * from api/ over one part of the request and stores the typed value for `c.req.valid(...)`. A bad
 * part is a ValidationError (422 `validation_failed` with field paths) before the handler runs.
 */
import type { Env, HonoRequest, MiddlewareHandler, ValidationTargets } from 'hono';
import type { z } from 'zod';
import { VmpoolError } from '../../shared/errors.js';
import { parseOrThrow } from '../../shared/validation.js';

type Parsed<K extends keyof ValidationTargets, S extends z.ZodType> = {
  in: { [k in K]: z.input<S> };
  out: { [k in K]: z.output<S> };
};

/**
 * queryOf parses the query string with a strict schema: unknown or malformed parameters are refused.
 * The value is hono's validator('query') value (a key given once is a string, repeated an array),
 * built without its async wrapper and content-type lookup: no query string is `{}` at once.
 */
export function queryOf<S extends z.ZodType>(schema: S): MiddlewareHandler<Env, string, Parsed<'query', S>> {
  return (c, next) => {
    c.req.addValidatedData('query', parseOrThrow(schema, queryValue(c.req), 'query') as object);
    return next();
  };
}

/** paramsOf parses the path parameters (synchronously, as queryOf). */
export function paramsOf<S extends z.ZodType>(schema: S): MiddlewareHandler<Env, string, Parsed<'param', S>> {
  return (c, next) => {
    c.req.addValidatedData('param', parseOrThrow(schema, c.req.param(), 'path') as object);
    return next();
  };
}

function queryValue(req: HonoRequest): Record<string, string | string[]> {
  if (!req.url.includes('?')) return {};
  // fromEntries, not assignment: `?__proto__=…` stays an own key the strict schema refuses
  return Object.fromEntries(
    Object.entries(req.queries()).map(([k, v]) => [k, v.length === 1 ? (v[0] as string) : v]),
  );
}

/**
 * jsonOf reads the body as JSON whatever its content-type (curl -d sends form encoding) and parses
 * it; `what` names the request in the error ("Cannot accept VM request: name must be …").
 */
export function jsonOf<S extends z.ZodType>(
  schema: S,
  what: string,
): MiddlewareHandler<Env, string, Parsed<'json', S>> {
  return async (c, next) => {
    c.req.addValidatedData('json', parseOrThrow(schema, await readJson(c.req.raw), what) as object);
    await next();
  };
}

/** optionalJsonOf is jsonOf for a body a client may leave out: no body parses as `{}`. */
export function optionalJsonOf<S extends z.ZodType>(
  schema: S,
  what: string,
): MiddlewareHandler<Env, string, Parsed<'json', S>> {
  return async (c, next) => {
    const text = await c.req.raw.clone().text();
    const value = text.trim() === '' ? {} : await readJson(c.req.raw);
    c.req.addValidatedData('json', parseOrThrow(schema, value, what) as object);
    await next();
  };
}

/**
 * readJsonBody reads the body as JSON with jsonOf's errors (empty, not JSON) and no schema, for a
 * route whose controller parses its input itself with the same schema and wording (VmService.create
 * runs CreateVmSchema as 'VM request'): one zod pass per request instead of two.
 */
export function readJsonBody(c: { req: { raw: Request } }): Promise<unknown> {
  return readJson(c.req.raw);
}

async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === '') throw new VmpoolError('bad_request', 'Cannot read request body: it is empty');
  try {
    return JSON.parse(text);
  } catch {
    throw new VmpoolError('bad_request', 'Cannot read request body: it is not valid JSON');
  }
}
