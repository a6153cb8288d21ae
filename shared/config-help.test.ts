import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentConfigSchema } from '../agent/options.js';
import { CoordinatorConfigSchema } from '../coordinator/options.js';
import { loadConfig } from './config.js';
import { renderConfigHelp } from './config-help.js';
import { optionMeta } from './config-options.js';

describe.each([
  ['vmpool-agent', AgentConfigSchema],
  ['vmpool-coordinator', CoordinatorConfigSchema],
])('%s --help', (_program, schema) => {
  const help = renderConfigHelp('Usage: x', schema);
  it.each(Object.entries(schema.shape))(
    'shows %s by its flag, or its variable when it has no flag',
    (key, s) => {
      const meta = optionMeta.get(s);
      expect(meta).toBeDefined();
      const shown =
        meta?.cli === false ? new RegExp(`^  ${meta.env} `, 'm') : new RegExp(`^  --${key}[ \n]`, 'm');
      expect(help).toMatch(shown);
      if (meta?.env) expect(help).toContain(meta.env);
    },
  );
});

describe('the shipped example configs', () => {
  const root = join(import.meta.dirname, '..');
  const tokens = { VMPOOL_ADMIN_TOKEN: 'a'.repeat(16), VMPOOL_JOIN_TOKEN: 'j'.repeat(16) };
  it('systemd/coordinator.example.json loads', () => {
    const { config } = loadConfig(
      CoordinatorConfigSchema,
      ['--config', join(root, 'systemd/coordinator.example.json')],
      { env: tokens },
    );
    expect(config.listen).toBe('wg0:7700');
    expect(config.bands).toBe('/etc/vmpool/bands.json');
  });
  it('systemd/agent.example.json loads', () => {
    const { config } = loadConfig(AgentConfigSchema, ['--config', join(root, 'systemd/agent.example.json')], {
      env: {},
    });
    expect(config['node-id']).toBe('hv-01');
    expect(config.reserved).toBe(false);
    expect(config['host-reserved-cpus']).toBe('16-17,34-35,52-53,70-71');
  });
});
