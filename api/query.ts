import { z } from 'zod';

/** BooleanQuerySchema reads `true`/`false` from a query string; any other text is a field issue. */
export const BooleanQuerySchema = z.enum(['true', 'false']).transform((v) => v === 'true');

/** limitQuerySchema reads a whole number 1..max from a query string (`-5`, `abc`, `2.5` are refused). */
export function limitQuerySchema(max: number, fallback: number) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .default(fallback);
}

/** IdParamSchema is a path id: printable, without slashes, at most 128 characters. */
export const IdParamSchema = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be an id');
