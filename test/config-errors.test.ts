import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPathFor } from '../agent/lock.js';
import { ADMIN_TOKEN, BIN, JOIN_TOKEN, requireBuild } from './helpers/procs.js';

const execFileP = promisify(execFile);

// The built programs with bad settings: exit 2, one line on stderr naming the flag, variable or
// file key, and nothing created on disk (no data dir, no images dir, no lock file).

let dir: string;
let n = 0;

beforeAll(async () => {
  requireBuild();
  dir = await mkdtemp(join(tmpdir(), 'vmpool-config-e2e-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** runBin runs a program; one that wrongly starts serving is killed after 20 s and fails the test. */
async function runBin(bin: string, args: string[], env: Record<string, string> = {}) {
  try {
    const r = await execFileP(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** configFile writes a config file with the given content and returns its path. */
async function configFile(content: unknown): Promise<string> {
  const path = join(dir, `config-${++n}.json`);
  await writeFile(path, JSON.stringify(content));
  return path;
}

// port 0: a case that wrongly passes validation binds a free port and fails its checks, not 7700
const TOKENS = {
  VMPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
  VMPOOL_JOIN_TOKEN: JOIN_TOKEN,
  VMPOOL_LISTEN: '127.0.0.1:0',
};

describe('vmpool-coordinator with a bad config', () => {
  it.each([
    [
      'a misspelt key',
      { rankng: 'spread' },
      [],
      {},
      /key "rankng" in \S+: unknown key \(did you mean "ranking"\?\)/,
    ],
    [
      'a snake_case key',
      { data_dir: '/tmp/elsewhere' },
      [],
      {},
      /key "data_dir" in \S+: unknown key \(did you mean "dataDir"\?\)/,
    ],
    [
      'a number that does not parse',
      { minHeartbeatMs: 'soon' },
      [],
      {},
      /key "minHeartbeatMs" in \S+: expected a number/,
    ],
    [
      'a ranking outside pack and spread',
      { ranking: 'random' },
      [],
      {},
      /key "ranking" in \S+: expected one of pack, spread/,
    ],
    [
      '"false" for listenAll with a wildcard',
      { listenAll: 'false' },
      ['--listen', '0.0.0.0:7700'],
      {},
      /without --listen-all/,
    ],
    [
      'a bad flag number',
      {},
      ['--missed-heartbeats', 'three'],
      {},
      /--missed-heartbeats: expected a number, got "three"/,
    ],
    [
      'a bad env number',
      {},
      [],
      { VMPOOL_CPU_OVERCOMMIT: 'lots' },
      /VMPOOL_CPU_OVERCOMMIT: expected a number/,
    ],
    [
      'a bands file that is missing',
      {},
      ['--bands', '/nonexistent/bands.json'],
      {},
      /Cannot read bands file/,
    ],
    [
      'no admin token',
      {},
      [],
      { VMPOOL_ADMIN_TOKEN: '' },
      /VMPOOL_ADMIN_TOKEN \(or VMPOOL_ADMIN_TOKEN_FILE\) is required/,
    ],
    [
      'a short join token',
      {},
      [],
      { VMPOOL_JOIN_TOKEN: 'short' },
      /VMPOOL_JOIN_TOKEN: expected 16 or more characters/,
    ],
  ])('exits 2 on %s and creates no data dir', async (_what, content, args, env, message) => {
    const dataDir = join(dir, `data-${++n}`);
    const config = await configFile(content);
    const r = await runBin(BIN.coordinator, ['--config', config, '--data-dir', dataDir, ...args], {
      ...TOKENS,
      ...env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('vmpool-agent with a bad config', () => {
  it.each([
    [
      'a misspelt key',
      { imagesdir: '/x' },
      {},
      /key "imagesdir" in \S+: unknown key \(did you mean "imagesDir"\?\)/,
    ],
    [
      'a memory size that does not parse',
      { hostReservedMemoryMb: 'lots' },
      {},
      /key "hostReservedMemoryMb" in \S+: expected a number/,
    ],
    [
      'a bad cpu list',
      { hostReservedCpus: '16-x' },
      {},
      /key "hostReservedCpus" in \S+: expected a cpu list/,
    ],
    ['a bool that is not one', { reserved: 'perhaps' }, {}, /key "reserved" in \S+: expected true or false/],
    [
      'a bad env timeout',
      {},
      { VMPOOL_SHUTDOWN_TIMEOUT_MS: 'soon' },
      /VMPOOL_SHUTDOWN_TIMEOUT_MS: expected a number/,
    ],
    [
      'a join token in the file',
      { joinToken: 'x' },
      {},
      /key "joinToken" in \S+: not allowed in a config file/,
    ],
  ])('exits 2 on %s and creates no images dir or lock', async (_what, content, env, message) => {
    const images = join(dir, `images-${++n}`);
    const config = await configFile(content);
    const r = await runBin(
      BIN.agent,
      [
        'run',
        '--config',
        config,
        '--coordinator',
        'ws://127.0.0.1:9',
        '--images-dir',
        images,
        '--libvirt-uri',
        'test:///default',
      ],
      { VMPOOL_JOIN_TOKEN: JOIN_TOKEN, ...env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(images)).toBe(false);
    expect(existsSync(await lockPathFor(images))).toBe(false);
  });
});

describe('--help of the built programs', () => {
  it.each([
    [BIN.coordinator, ['--listen-all', '--min-heartbeat-ms', '--ranking', 'VMPOOL_ADMIN_TOKEN']],
    [BIN.agent, ['--host-reserved-memory-mb', '--shutdown-timeout-ms', '--no-kvm', 'VMPOOL_JOIN_TOKEN']],
  ])('%s lists its settings', async (bin, words) => {
    const r = await runBin(bin, ['--help']);
    expect(r.code).toBe(0);
    for (const w of words) expect(r.stdout).toContain(w);
  });
});
