import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../shared/config.js';
import { renderConfigHelp } from '../shared/config-help.js';
import { optionMeta } from '../shared/config-options.js';
import { AGENT_USAGE, AgentConfigSchema } from './options.js';

describe('AgentConfigSchema', () => {
  const help = renderConfigHelp(AGENT_USAGE, AgentConfigSchema);
  it.each(Object.entries(AgentConfigSchema.shape))('--help shows %s with its variable', (key, s) => {
    const meta = optionMeta.get(s);
    expect(meta).toBeDefined();
    expect(help).toMatch(new RegExp(meta?.cli === false ? `^  ${meta.env} ` : `^  --${key}[ \n]`, 'm'));
    if (meta?.env) expect(help).toContain(meta.env);
  });

  it('loads systemd/agent.example.json', () => {
    const file = join(import.meta.dirname, '../systemd/agent.example.json');
    const { config } = loadConfig(AgentConfigSchema, ['run', '--config', file], { env: {} });
    expect(config['node-id']).toBe('hv-01');
    expect(config.reserved).toBe(false);
    expect(config['host-reserved-cpus']).toBe('0');
  });

  it.each([
    [['--host-reserved-memory-mb', '512'], { 'host-reserved-memory-mb': 512 }],
    [['--shutdown-timeout-ms', '0'], { 'shutdown-timeout-ms': 0 }],
    [['--no-kvm', '--reserved'], { 'no-kvm': true, reserved: true }],
  ])('types %j', (argv, expected) => {
    expect(loadConfig(AgentConfigSchema, argv, { env: {} }).config).toMatchObject(expected);
  });

  it.each([
    [['--host-reserved-memory-mb=-1'], /--host-reserved-memory-mb: expected 0 or more/],
    [['--host-reserved-memory-mb', '1.5'], /expected a whole number/],
    [['--host-reserved-cpus', '3-1'], /--host-reserved-cpus: expected a cpu list .*runs backwards/],
    [['--coordinator', 'not a url'], /--coordinator: expected a URL/],
  ])('rejects %j before the hello could carry it', (argv, message) => {
    expect(() => loadConfig(AgentConfigSchema, argv, { env: {} })).toThrow(message);
  });
});
