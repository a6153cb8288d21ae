import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../shared/config.js';
import { renderConfigHelp } from '../shared/config-help.js';
import { optionMeta } from '../shared/config-options.js';
import { COORDINATOR_USAGE, CoordinatorConfigSchema } from './options.js';

const TOKENS = { VMPOOL_ADMIN_TOKEN: 'a'.repeat(16), VMPOOL_JOIN_TOKEN: 'j'.repeat(16) };

describe('CoordinatorConfigSchema', () => {
  const help = renderConfigHelp(COORDINATOR_USAGE, CoordinatorConfigSchema);
  it.each(Object.entries(CoordinatorConfigSchema.shape))('--help shows %s with its variable', (key, s) => {
    const meta = optionMeta.get(s);
    expect(meta).toBeDefined();
    expect(help).toMatch(new RegExp(meta?.cli === false ? `^  ${meta.env} ` : `^  --${key}[ \n]`, 'm'));
    if (meta?.env) expect(help).toContain(meta.env);
  });

  it('loads systemd/coordinator.example.json', () => {
    const file = join(import.meta.dirname, '../systemd/coordinator.example.json');
    const { config } = loadConfig(CoordinatorConfigSchema, ['--config', file], { env: TOKENS });
    expect(config).toMatchObject({ listen: 'wg0:7700', bands: '/etc/vmpool/bands.json', ranking: 'pack' });
  });

  it('reads the tokens from the environment', () => {
    const { config } = loadConfig(CoordinatorConfigSchema, [], { env: TOKENS });
    expect(config['admin-token']).toBe(TOKENS.VMPOOL_ADMIN_TOKEN);
    expect(config['join-token']).toBe(TOKENS.VMPOOL_JOIN_TOKEN);
  });

  it.each([
    [{ VMPOOL_ADMIN_TOKEN: 'short' }, /^Cannot use VMPOOL_ADMIN_TOKEN: expected 16 or more characters$/],
    [
      { VMPOOL_JOIN_TOKEN: '' },
      /^Cannot start: VMPOOL_JOIN_TOKEN \(or VMPOOL_JOIN_TOKEN_FILE\) is required$/,
    ],
    [{ VMPOOL_RANKING: 'Spread' }, /VMPOOL_RANKING: expected one of pack, spread/],
    [{ VMPOOL_LISTEN_ALL: 'nope' }, /VMPOOL_LISTEN_ALL: expected true or false/],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig(CoordinatorConfigSchema, [], { env: { ...TOKENS, ...env } })).toThrow(message);
  });
});
