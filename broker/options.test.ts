import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../shared/config.js';
import { renderConfigHelp } from '../shared/config-help.js';
import { optionMeta } from '../shared/config-options.js';
import { BROKER_USAGE, BrokerConfigSchema } from './options.js';
import { parseUpstreams } from './upstreams/pool.js';

const ROOT = resolve(import.meta.dirname, '..');
const env = { VMPOOL_BROKER_ADMIN_TOKEN: 'admin-token-0123456789' };

describe('broker options', () => {
  it('--help names every setting', () => {
    const help = renderConfigHelp(BROKER_USAGE, BrokerConfigSchema);
    for (const [key, schema] of Object.entries(BrokerConfigSchema.shape)) {
      const meta = optionMeta.get(schema)!;
      expect(help).toContain(meta.cli === false ? meta.env! : `--${key}`);
    }
  });

  it('loads the shipped example config', () => {
    const { config } = loadConfig(
      BrokerConfigSchema,
      ['--config', join(ROOT, 'systemd/broker.example.json')],
      { env },
    );
    expect(config.upstreams).toContain('=http');
    expect(parseUpstreams(config.upstreams).length).toBeGreaterThan(0);
  });

  it('refuses a bad threshold and an unknown key, and requires the admin token', () => {
    expect(() => loadConfig(BrokerConfigSchema, ['--breaker-failure-rate', '2'], { env })).toThrow(
      /fraction/,
    );
    expect(() => loadConfig(BrokerConfigSchema, ['--queue-length=-1'], { env })).toThrow(/0 or more/);
    expect(() => loadConfig(BrokerConfigSchema, [], { env: {} })).toThrow(/VMPOOL_BROKER_ADMIN_TOKEN/);
  });

  it('parseUpstreams reads NAME=URL lists and refuses junk and duplicates', () => {
    expect(parseUpstreams('a=http://10.0.0.1:8080/, b=https://x:1')).toEqual([
      { name: 'a', url: 'http://10.0.0.1:8080' },
      { name: 'b', url: 'https://x:1' },
    ]);
    expect(() => parseUpstreams('a=ftp://x')).toThrow();
    expect(() => parseUpstreams('a=http://x,a=http://y')).toThrow(/twice/);
  });
});

describe('broker layout', () => {
  it('imports only itself, api/ and shared/', () => {
    const files = (readdirSync(join(ROOT, 'broker'), { recursive: true }) as string[]).filter((f) =>
      f.endsWith('.ts'),
    );
    expect(files.length).toBeGreaterThan(15);
    const outside: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, 'broker', f), 'utf8');
      for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
        const target = resolve(join(ROOT, 'broker', f, '..'), m[1]!);
        const rel = target.slice(ROOT.length + 1);
        if (!/^(broker|api|shared)\//.test(rel)) outside.push(`${f} → ${rel}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
