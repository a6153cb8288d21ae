import type { z } from 'zod';
import { VmpoolError } from './errors.js';

/** FieldIssue is one validation problem at a dotted field path. */
export interface FieldIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** ValidationError is a rejected input (HTTP 422 `validation_failed`) listing every field issue. */
export class ValidationError extends VmpoolError {
  readonly issues: readonly FieldIssue[];
  constructor(what: string, issues: readonly FieldIssue[], code = 'validation_failed') {
    const first = issues[0];
    super(
      code,
      `Cannot accept ${what}: ${first ? `${first.path || '(root)'} ${first.message}` : 'invalid'}`,
      {
        details: { issues },
      },
    );
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** parseOrThrow runs a zod schema and turns its issues into a ValidationError with field paths. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(
    what,
    r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code, message: i.message })),
  );
}
