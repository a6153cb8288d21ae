import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../shared/config-error.js';
import { checkLicense, generateLicenseKeys, issueLicense, loadPublicKey } from './license.js';

/**
 * runLicenseCommand handles `vmpool-broker license verify|keygen|issue …` and returns the exit
 * code: 0 valid/done, 1 an invalid license, 2 bad usage.
 */
export function runLicenseCommand(argv: string[], out: (s: string) => void): number {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      'license-public-key': { type: 'string' },
      'private-key': { type: 'string' },
      id: { type: 'string' },
      licensee: { type: 'string' },
      expires: { type: 'string' },
      'issued-at': { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (sub === 'verify') {
    const key = values['license-public-key'] ?? process.env.VMPOOL_BROKER_LICENSE_PUBLIC_KEY;
    if (!positionals[0] || !key)
      throw new ConfigError('Usage: vmpool-broker license verify FILE --license-public-key PEM');
    const text = readOrNull(positionals[0]);
    const v = checkLicense(text, loadPublicKey(readFileSync(key, 'utf8')), { now: Date.now() });
    out(`${JSON.stringify(v)}\n`);
    return v.valid ? 0 : 1;
  }
  if (sub === 'keygen') {
    const dir = positionals[0];
    if (!dir) throw new ConfigError('Usage: vmpool-broker license keygen DIR');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { publicPem, privatePem } = generateLicenseKeys();
    writeFileSync(join(dir, 'license-public.pem'), publicPem, { mode: 0o644 });
    writeFileSync(join(dir, 'license-private.pem'), privatePem, { mode: 0o600 });
    out(`${join(dir, 'license-public.pem')}\n${join(dir, 'license-private.pem')}\n`);
    return 0;
  }
  if (sub === 'issue') {
    const { id, licensee, expires } = values;
    const priv = values['private-key'];
    if (!priv || !id || !licensee || !expires)
      throw new ConfigError(
        'Usage: vmpool-broker license issue --private-key PEM --id ID --licensee NAME --expires ISO',
      );
    if (Number.isNaN(Date.parse(expires)))
      throw new ConfigError(`Cannot use --expires ${JSON.stringify(expires)}: expected an ISO time`);
    const text = issueLicense(
      {
        id,
        licensee,
        issued_at: values['issued-at'] ?? new Date().toISOString(),
        expires_at: new Date(expires).toISOString(),
      },
      readFileSync(priv, 'utf8'),
    );
    if (values.out) writeFileSync(values.out, text, { mode: 0o644 });
    else out(text);
    return 0;
  }
  throw new ConfigError('Usage: vmpool-broker license verify|keygen|issue (see --help)');
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
