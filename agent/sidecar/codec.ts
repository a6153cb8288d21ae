import { SidecarError } from './errors.js';
import { SIDECAR_SCHEMA_VERSION, type Sidecar, SidecarSchema } from './schema.js';

/** decodeSidecar parses a sidecar file's text, telling an unknown version apart from corruption. */
export function decodeSidecar(text: string, file: string): Sidecar {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SidecarError('sidecar_corrupt', `Cannot read sidecar ${file}: not valid JSON`, {
      cause: err,
      details: { path: file },
    });
  }
  const version = isRecord(raw) ? raw.schema_version : undefined;
  // A number we do not know is a newer (or older) agent's file, not damage: say so distinctly.
  if (typeof version === 'number' && version !== SIDECAR_SCHEMA_VERSION) {
    throw new SidecarError(
      'sidecar_unknown_version',
      `Cannot read sidecar ${file}: schema_version ${version}`,
      {
        details: { path: file, schema_version: version },
      },
    );
  }
  const parsed = SidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first
      ? `${first.path.map(String).join('.') || '(root)'} ${first.message}`
      : 'schema mismatch';
    throw new SidecarError('sidecar_corrupt', `Cannot read sidecar ${file}: ${where}`, {
      details: { path: file, issues: parsed.error.issues.length },
    });
  }
  return parsed.data;
}

/** encodeSidecar renders a sidecar as the pretty JSON written to disk (one trailing newline). */
export function encodeSidecar(sidecar: Sidecar): string {
  return `${JSON.stringify(sidecar, null, 2)}\n`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
