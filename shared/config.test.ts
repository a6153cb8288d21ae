import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, loadOptions } from './config.js';
import {
  boolOption,
  choiceOption,
  numberOption,
  optionalSecret,
  positive,
  secretOption,
  textOption,
  wholeAtLeast,
} from './config-options.js';

const Schema = z
  .object({
    'data-dir': textOption({ env: 'T_DATA_DIR', help: 'state directory' }, '/var/lib/t'),
    ranking: choiceOption({ env: 'T_RANKING', help: 'pack or spread' }, ['pack', 'spread'], 'pack'),
    verbose: boolOption({ env: 'T_VERBOSE', help: 'say more' }),
    'min-heartbeat-ms': numberOption({ env: 'T_MIN_HEARTBEAT_MS', help: 'interval' }, 5000, positive()),
    'memory-mb': numberOption({ env: 'T_MEMORY_MB', help: 'memory' }, 0, wholeAtLeast(0)),
    token: optionalSecret({ env: 'T_TOKEN', help: 'a token' }),
  })
  .strict();

const FILE = '/etc/t.json';

/** load runs the loader with an in-memory file system: path → contents. */
function load(argv: string[], env: Record<string, string> = {}, files: Record<string, unknown> = {}) {
  const readFile = (p: string) => {
    if (!(p in files)) throw new Error(`ENOENT: no such file, open '${p}'`);
    const v = files[p];
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  return loadConfig(Schema, argv, { env, readFile }).config;
}

const withFile = (content: unknown) => [['--config', FILE], {}, { [FILE]: content }] as const;

describe('loadConfig rejects bad settings naming their source', () => {
  it.each([
    [
      'an unknown file key',
      ...withFile({ colour: 'red' }),
      /^Cannot use key "colour" in \/etc\/t\.json: unknown key$/,
    ],
    [
      'a misspelt file key',
      ...withFile({ rankng: 'spread' }),
      /key "rankng" in \/etc\/t\.json: unknown key \(did you mean "ranking"\?\)/,
    ],
    [
      'a snake_case file key',
      ...withFile({ data_dir: '/x' }),
      /key "data_dir" in \/etc\/t\.json: unknown key \(did you mean "dataDir"\?\)/,
    ],
    [
      'a secret in the file',
      ...withFile({ token: 'abc' }),
      /key "token" in \/etc\/t\.json: not allowed in a config file; set T_TOKEN or T_TOKEN_FILE/,
    ],
    [
      'a key given twice',
      ...withFile({ dataDir: '/a', 'data-dir': '/b' }),
      /key "data-dir" in \/etc\/t\.json: key "dataDir" in \/etc\/t\.json sets it too/,
    ],
    [
      'a file number that is text',
      ...withFile({ minHeartbeatMs: 'soon' }),
      /key "minHeartbeatMs" in \/etc\/t\.json: expected a number, got "soon"/,
    ],
    [
      'a file bool that is not one',
      ...withFile({ verbose: 'maybe' }),
      /key "verbose" in \/etc\/t\.json: expected true or false, got "maybe"/,
    ],
    [
      'a file string that is a number',
      ...withFile({ dataDir: 5 }),
      /key "dataDir" in \/etc\/t\.json: expected a string, got 5/,
    ],
    [
      'a choice outside its set',
      ...withFile({ ranking: 'random' }),
      /key "ranking" in \/etc\/t\.json: expected one of pack, spread, got "random"/,
    ],
    ['a file that is not JSON', ...withFile('{nope'), /^Cannot read config file \/etc\/t\.json: /],
    [
      'a file that is an array',
      ...withFile([1]),
      /^Cannot read config file \/etc\/t\.json: not a JSON object$/,
    ],
    [
      'a missing file',
      ['--config', '/nowhere.json'],
      {},
      {},
      /^Cannot read config file \/nowhere\.json: ENOENT/,
    ],
    [
      'a flag number that is text',
      ['--min-heartbeat-ms', 'abc'],
      {},
      {},
      /^Cannot use --min-heartbeat-ms: expected a number, got "abc"$/,
    ],
    [
      'a flag number of zero where above 0 is needed',
      ['--min-heartbeat-ms', '0'],
      {},
      {},
      /--min-heartbeat-ms: expected a number above 0, got "0"/,
    ],
    [
      'a fraction where whole MiB are needed',
      ['--memory-mb', '1.5'],
      {},
      {},
      /--memory-mb: expected a whole number, got "1.5"/,
    ],
    ['a hex number', ['--memory-mb', '0x10'], {}, {}, /--memory-mb: expected a number, got "0x10"/],
    [
      'an env number that is text',
      [],
      { T_MEMORY_MB: '12GB' },
      {},
      /^Cannot use T_MEMORY_MB: expected a number, got "12GB"$/,
    ],
    [
      'an env bool that is not one',
      [],
      { T_VERBOSE: 'sure' },
      {},
      /^Cannot use T_VERBOSE: expected true or false, got "sure"$/,
    ],
    [
      'an unknown flag',
      ['--rankng', 'spread'],
      {},
      {},
      /^Cannot parse arguments: unknown option --rankng \(did you mean --ranking\?\)$/,
    ],
    [
      'a secret file that cannot be read',
      [],
      { T_TOKEN_FILE: '/no/token' },
      {},
      /^Cannot read T_TOKEN_FILE \/no\/token: ENOENT/,
    ],
  ])('rejects %s', (_what, argv, env, files, message) => {
    const run = () => load([...argv], { ...env }, { ...files });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  it('rejects a bad value in the file even when a flag overrides it', () => {
    expect(() => load(['--config', FILE, '--memory-mb', '5'], {}, { [FILE]: { memoryMb: 'x' } })).toThrow(
      /key "memoryMb" in \/etc\/t\.json: expected a number/,
    );
  });

  it('never prints a secret value in an error', () => {
    const Strict = z.object({
      token: secretOption({ env: 'T_TOKEN', help: 't' }, z.string().min(16, 'too short')),
    });
    const run = () => loadConfig(Strict, [], { env: { T_TOKEN: 'hunter2' } });
    expect(run).toThrow(/^Cannot use T_TOKEN: too short$/);
  });

  it('names every source of a required setting that nobody set', () => {
    const Required = z.object({ token: secretOption({ env: 'T_TOKEN', help: 't' }) });
    expect(() => loadConfig(Required, [], { env: {} })).toThrow(
      /^Cannot start: T_TOKEN \(or T_TOKEN_FILE\) is required$/,
    );
  });
});

describe('loadConfig reads typed values', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['off', false],
  ])('reads the string %j as %s from env and from a file', (text, expected) => {
    expect(load([], { T_VERBOSE: text }).verbose).toBe(expected);
    expect(load(['--config', FILE], {}, { [FILE]: { verbose: text } }).verbose).toBe(expected);
  });

  it.each([
    [['--min-heartbeat-ms', '250'], 250],
    [['--min-heartbeat-ms', '2.5'], 2.5],
    [['--min-heartbeat-ms', ' 1e3 '], 1000],
  ])('reads %j as the number %d', (argv, n) => {
    expect(load(argv)['min-heartbeat-ms']).toBe(n);
  });

  it('gives every default when nothing is set', () => {
    expect(load([])).toEqual({
      'data-dir': '/var/lib/t',
      ranking: 'pack',
      verbose: false,
      'min-heartbeat-ms': 5000,
      'memory-mb': 0,
    });
  });

  it('keeps positional words for the command', () => {
    expect(loadConfig(Schema, ['run', '--verbose', 'x'], { env: {} }).positionals).toEqual(['run', 'x']);
  });
});

describe('loadConfig precedence: flag beats env beats file beats default', () => {
  const file = { [FILE]: { dataDir: '/from-file', memoryMb: 3 } };
  it.each([
    ['the default alone', [], {}, '/var/lib/t'],
    ['the file over the default', ['--config', FILE], {}, '/from-file'],
    ['env over the file', ['--config', FILE], { T_DATA_DIR: '/from-env' }, '/from-env'],
    [
      'a flag over env and file',
      ['--config', FILE, '--data-dir', '/from-flag'],
      { T_DATA_DIR: '/from-env' },
      '/from-flag',
    ],
    ['the file when env is empty', ['--config', FILE], { T_DATA_DIR: '' }, '/from-file'],
  ])('takes %s', (_what, argv, env, expected) => {
    expect(load(argv, env, file)['data-dir']).toBe(expected);
  });

  it('reads the file key in kebab-case too', () => {
    expect(load(['--config', FILE], {}, { [FILE]: { 'data-dir': '/kebab' } })['data-dir']).toBe('/kebab');
  });
});

describe('loadConfig reads secrets from ENV or ENV_FILE', () => {
  it.each([
    ['ENV, trimmed', { T_TOKEN: '  abc \n' }, {}, 'abc'],
    ['ENV_FILE, trimmed', { T_TOKEN_FILE: '/run/t' }, { '/run/t': 'from-file\n' }, 'from-file'],
    ['ENV before ENV_FILE', { T_TOKEN: 'direct', T_TOKEN_FILE: '/run/t' }, { '/run/t': 'file' }, 'direct'],
    ['ENV_FILE when ENV is empty', { T_TOKEN: '', T_TOKEN_FILE: '/run/t' }, { '/run/t': 'file' }, 'file'],
    ['nothing when neither is set', {}, {}, undefined],
  ])('reads %s', (_what, env, files, expected) => {
    expect(load([], env, files).token).toBe(expected);
  });

  it('has no --flag for a secret', () => {
    expect(() => load(['--token', 'x'])).toThrow(/^Cannot parse arguments: unknown option --token$/);
  });
});

describe('loadOptions (vmpoolctl option lists)', () => {
  it('reads "false" in a config file as false and rejects an unknown key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmpool-config-'));
    const specs = [{ flag: 'json', type: 'boolean', help: 'json' }] as const;
    writeFileSync(join(dir, 'ok.json'), '{"json":"false"}');
    writeFileSync(join(dir, 'bad.json'), '{"jsn":true}');
    expect(loadOptions(specs, ['--config', join(dir, 'ok.json')], {}).values).toEqual({ json: false });
    expect(() => loadOptions(specs, ['--config', join(dir, 'bad.json')], {})).toThrow(
      /key "jsn" in .*bad\.json: unknown key \(did you mean "json"\?\)/,
    );
    rmSync(dir, { recursive: true });
  });
});
