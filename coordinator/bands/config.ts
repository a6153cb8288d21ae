import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { VmpoolError } from '../../shared/errors.js';
import { parseOrThrow } from '../../shared/validation.js';

/** BandErrorCode lists the stable codes of band configuration and allocation failures. */
export type BandErrorCode =
  | 'bands_overlap'
  | 'band_range_inverted'
  | 'band_duplicate_name'
  | 'unknown_band'
  | 'band_full'
  | 'band_required'
  | 'vmid_in_use'
  | 'vmid_outside_bands'
  | 'name_pattern_mismatch';

/** BandError is a bad band config or a VMID that cannot be handed out. */
export class BandError extends VmpoolError {
  constructor(code: BandErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details ? { details } : {});
    this.name = 'BandError';
  }
}

const patternSchema = z
  .string()
  .max(512)
  .refine((p) => compiles(p), 'must be a valid regular expression');

/** BandSchema is one named VMID range (seed 000), inclusive at both ends. */
export const BandSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug'),
  title: z.string().min(1).max(200).optional(),
  from: z.number().int().positive(),
  to: z.number().int().positive(),
  description: z.string().max(2000).optional(),
  name_pattern: patternSchema.optional(),
  tags: z.array(z.string().min(1).max(64)).max(64).optional(),
});

/** BandConfigSchema is the bands file: the bands, whether VMIDs outside them are allowed, a default band. */
export const BandConfigSchema = z.strictObject({
  bands: z.array(BandSchema).max(10_000),
  allow_unbanded: z.boolean().optional(),
  default_band: z.string().optional(),
});

/** Band is one validated VMID band. */
export type Band = z.infer<typeof BandSchema>;
/** BandConfig is a validated, overlap-free bands file. */
export type BandConfig = z.infer<typeof BandConfigSchema>;

/** parseBandConfig validates shape (ValidationError) then meaning (BandError: inverted, duplicate, overlap). */
export function parseBandConfig(input: unknown): BandConfig {
  const config = parseOrThrow(BandConfigSchema, input, 'VMID bands');
  for (const band of config.bands) {
    if (band.from > band.to) {
      throw new BandError(
        'band_range_inverted',
        `Cannot use band "${band.name}": from ${band.from} is above to ${band.to}`,
      );
    }
  }
  checkDuplicateNames(config.bands);
  checkOverlaps(config.bands);
  if (config.default_band !== undefined && !config.bands.some((b) => b.name === config.default_band)) {
    throw new BandError(
      'unknown_band',
      `Cannot use default band "${config.default_band}": no band has that name`,
    );
  }
  return config;
}

/** loadBandConfig reads and validates a JSON bands file. */
export async function loadBandConfig(path: string): Promise<BandConfig> {
  return parseBandConfig(JSON.parse(await readFile(path, 'utf8')));
}

/** checkOverlaps throws bands_overlap naming two overlapping bands and their shared range. */
export function checkOverlaps(bands: readonly Band[]): void {
  const sorted = [...bands].sort((a, b) => a.from - b.from);
  // After sorting by start, any overlap shows up between neighbours.
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.from <= a.to) {
      const range = { from: b.from, to: Math.min(a.to, b.to) };
      throw new BandError(
        'bands_overlap',
        `Cannot use bands "${a.name}" and "${b.name}": they overlap on ${range.from}-${range.to}`,
        { bands: [a.name, b.name], ...range },
      );
    }
  }
}

function checkDuplicateNames(bands: readonly Band[]): void {
  const seen = new Set<string>();
  for (const band of bands) {
    if (seen.has(band.name))
      throw new BandError('band_duplicate_name', `Cannot use band "${band.name}": name repeated`);
    seen.add(band.name);
  }
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
