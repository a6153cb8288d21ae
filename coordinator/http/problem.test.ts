import { Hono } from 'hono';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, STATUS_BY_CODE } from '../../api/problems.js';
import { VmpoolError } from '../../shared/errors.js';
import { createLogger, type LogEntry } from '../../shared/log.js';
import type { AuditError } from '../audit/entry.js';
import type { BandErrorCode } from '../bands/config.js';
import type { LinkError } from '../link/pending.js';
import type { PlacementErrorCode } from '../placement/errors.js';
import type { StoreError } from '../store/errors.js';
import type { VmError } from '../vms/errors.js';
import { errorResponse } from './problem.js';

/** CodeOf is the code parameter of an error class's constructor. */
type CodeOf<C extends abstract new (...args: never[]) => unknown> = ConstructorParameters<C>[0];

/** RequestTimeCode is every code a request can fail with; band config and store/audit open errors only stop startup. */
type RequestTimeCode =
  | CodeOf<typeof VmError>
  | 'no_capacity'
  | PlacementErrorCode
  | Exclude<BandErrorCode, 'bands_overlap' | 'band_range_inverted' | 'band_duplicate_name'>
  | CodeOf<typeof LinkError>
  | Exclude<CodeOf<typeof StoreError>, 'store_corrupt'>
  | Exclude<CodeOf<typeof AuditError>, 'audit_corrupt'>
  // QuotaError and ValidationError type their code as string; these are the codes they use
  | 'quota_exceeded'
  | 'validation_failed'
  // the HTTP layer's own
  | 'bad_request'
  | 'not_found'
  | 'unauthorized'
  | 'payload_too_large';

function appThrowing(err: unknown) {
  const records: LogEntry[] = [];
  const log = createLogger({ component: 'coordinator', level: 'debug', sink: (r) => records.push(r) });
  const app = new Hono();
  app.onError((e, c) => errorResponse(c, e, log));
  app.get('/boom', () => {
    throw err;
  });
  return { app, records };
}

describe('STATUS_BY_CODE', () => {
  it('gives every code in the union a 4xx or 5xx status, and 500 only to internal', () => {
    for (const code of ERROR_CODES) {
      const status = STATUS_BY_CODE[code];
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(status === 500, code).toBe(code === 'internal');
    }
    expect(Object.keys(STATUS_BY_CODE).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('covers every code the coordinator throws while serving a request (checked by the compiler)', () => {
    expectTypeOf<RequestTimeCode>().toExtend<ErrorCode>();
  });
});

describe('errorResponse', () => {
  it.each(ERROR_CODES.filter((c) => c !== 'internal'))('answers %s with its mapped status', async (code) => {
    const { app, records } = appThrowing(
      new VmpoolError(code, 'Cannot do it: because', { details: { x: 1 } }),
    );
    const res = await app.request('/boom');
    expect(res.status).toBe(STATUS_BY_CODE[code]);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({
      code,
      status: STATUS_BY_CODE[code],
      detail: 'Cannot do it: because',
      x: 1,
    });
    expect(records).toEqual([]);
  });

  it.each([
    ['a plain Error', new Error('disk on fire'), undefined],
    [
      'a typed error with a code outside the contract',
      new VmpoolError('pin_in_use', 'thread 0'),
      'pin_in_use',
    ],
  ])('answers %s as a logged 500 internal that hides the message', async (_what, err, code) => {
    const { app, records } = appThrowing(err);
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body).toMatchObject({ code: 'internal', status: 500 });
    expect(JSON.stringify(body)).not.toContain(err.message);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ level: 'error', msg: 'request failed' });
    expect(records[0]!.fields.code).toBe(code);
  });
});
