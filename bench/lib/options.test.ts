import { describe, expect, it } from 'vitest';
import { allowed, choice, decimal, flag, integer, integers, text, texts } from './option-kinds.js';
import { BenchUsageError, flagName, isBenchUsageError, parseOptions } from './options.js';

const TABLE = {
  nodes: integer({ min: 1, default: 10000 }),
  vcpus: integer({ min: 1 }),
  simNice: integer({ min: -20, max: 19, default: 0 }),
  idleS: decimal({ above: 0, default: 5 }),
  rate: decimal({ min: 0, default: 0 }),
  agents: integers({ min: 1, default: [1000, 3000] }),
  mode: choice(['delta', 'full'], 'delta'),
  peer: choice(['hspace']),
  journalDir: text(),
  libvirtUri: text('qemu:///system'),
  env: texts(),
  json: flag(),
};

/** usageError runs parseOptions and returns the BenchUsageError it threw. */
function usageError(argv: string[]): BenchUsageError {
  try {
    parseOptions(argv, TABLE);
  } catch (err) {
    expect(err).toBeInstanceOf(BenchUsageError);
    return err as BenchUsageError;
  }
  throw new Error(`parseOptions accepted ${argv.join(' ')}`);
}

describe('parseOptions', () => {
  it('gives every default when no flag is given', () => {
    expect(parseOptions([], TABLE)).toEqual({
      nodes: 10000,
      vcpus: undefined,
      simNice: 0,
      idleS: 5,
      rate: 0,
      agents: [1000, 3000],
      mode: 'delta',
      peer: undefined,
      journalDir: undefined,
      libvirtUri: 'qemu:///system',
      env: [],
      json: false,
    });
  });

  it('reads each kind from its kebab-case flag', () => {
    const argv = ['--nodes', '30', '--vcpus', '4', '--sim-nice=-5', '--idle-s', '0.5', '--rate', '200'];
    argv.push('--agents', '5,7', '--mode', 'full', '--peer', 'hspace', '--journal-dir', '/dev/shm');
    argv.push('--libvirt-uri', 'test:///default', '--env', 'A=1', '--env', 'B=2', '--json');
    expect(parseOptions(argv, TABLE)).toEqual({
      nodes: 30,
      vcpus: 4,
      simNice: -5,
      idleS: 0.5,
      rate: 200,
      agents: [5, 7],
      mode: 'full',
      peer: 'hspace',
      journalDir: '/dev/shm',
      libvirtUri: 'test:///default',
      env: ['A=1', 'B=2'],
      json: true,
    });
  });

  it('takes the bounds themselves (min and max are inclusive)', () => {
    const o = parseOptions(['--nodes', '1', '--sim-nice', '19', '--rate', '0', '--idle-s', '.25'], TABLE);
    expect(o).toMatchObject({ nodes: 1, simNice: 19, rate: 0, idleS: 0.25 });
  });

  it.each([
    [['--nodes', 'abc'], '--nodes must be an integer >= 1, got "abc"'],
    [['--nodes', '0'], '--nodes must be an integer >= 1, got "0"'],
    [['--nodes=-5'], '--nodes must be an integer >= 1, got "-5"'],
    [['--nodes', '2.5'], '--nodes must be an integer >= 1, got "2.5"'],
    [['--nodes', ''], '--nodes must be an integer >= 1, got ""'],
    [['--nodes', '0x10'], '--nodes must be an integer >= 1, got "0x10"'],
    [['--nodes', '1e3'], '--nodes must be an integer >= 1, got "1e3"'],
    [['--nodes', ' 7'], '--nodes must be an integer >= 1, got " 7"'],
    [['--nodes', '99999999999999999999'], '--nodes must be an integer >= 1, got "99999999999999999999"'],
    [['--vcpus', 'four'], '--vcpus must be an integer >= 1, got "four"'],
    [['--sim-nice', '20'], '--sim-nice must be an integer from -20 to 19, got "20"'],
    [['--sim-nice=-21'], '--sim-nice must be an integer from -20 to 19, got "-21"'],
    [['--idle-s', '0'], '--idle-s must be a number > 0, got "0"'],
    [['--idle-s', 'NaN'], '--idle-s must be a number > 0, got "NaN"'],
    [['--idle-s', 'Infinity'], '--idle-s must be a number > 0, got "Infinity"'],
    [['--rate=-5'], '--rate must be a number >= 0, got "-5"'],
    [['--agents', '1000,abc'], '--agents must be a comma-separated list of integers >= 1, got "1000,abc"'],
    [['--agents', '1000,'], '--agents must be a comma-separated list of integers >= 1, got "1000,"'],
    [['--agents', '0'], '--agents must be a comma-separated list of integers >= 1, got "0"'],
    [['--mode', 'fast'], '--mode must be one of delta, full, got "fast"'],
    [['--peer', 'ganeti'], '--peer must be one of hspace, got "ganeti"'],
  ])('refuses %j: %s', (argv, message) => {
    const err = usageError(argv);
    expect(err.message).toBe(message);
    expect(err).toMatchObject({ name: 'BenchUsageError', code: 'bad_option', retryable: false });
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--nodes'], "Option '--nodes <value>' argument missing"],
    [['--json=yes'], "Option '--json' does not take an argument"],
    [['stray'], "Unexpected argument 'stray'"],
    // a negative value goes after "=" (node refuses "--rate -5" as a flag without its value)
    [['--rate', '-5'], "Option '--rate' argument is ambiguous"],
  ])('turns a parseArgs refusal of %j into the same error, keeping node’s message', (argv, start) => {
    const err = usageError(argv);
    expect(err.code).toBe('bad_option');
    expect(err.message).toContain(start);
    expect((err.cause as { code: string }).code).toMatch(/^ERR_PARSE_ARGS_/);
  });

  it('lets an error that is not about the flags through unchanged', () => {
    const boom = {
      config: { type: 'string' as const },
      read: () => {
        throw new RangeError('boom');
      },
    };
    expect(() => parseOptions(['--x', '1'], { x: boom })).toThrow(RangeError);
  });
});

describe('BenchUsageError', () => {
  it('is told apart by its code, and its wire form has no stack', () => {
    const err = new BenchUsageError('--nodes must be an integer >= 1, got "abc"');
    expect(isBenchUsageError(err)).toBe(true);
    expect(isBenchUsageError(new Error('--nodes'))).toBe(false);
    expect(isBenchUsageError({ code: 'bad_option' })).toBe(false);
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: 'BenchUsageError',
      code: 'bad_option',
      message: '--nodes must be an integer >= 1, got "abc"',
      retryable: false,
    });
  });
});

describe('flagName and allowed', () => {
  it.each([
    ['nodes', 'nodes'],
    ['peerTimeoutS', 'peer-timeout-s'],
    ['scrapeAfterKillMs', 'scrape-after-kill-ms'],
    ['noCoordinator', 'no-coordinator'],
  ])('flagName(%s) is %s', (key, name) => expect(flagName(key)).toBe(name));

  it.each([
    [{}, 'an integer'],
    [{ min: 0 }, 'an integer >= 0'],
    [{ above: 0 }, 'an integer > 0'],
    [{ max: 9 }, 'an integer <= 9'],
    [{ min: 1, max: 9 }, 'an integer from 1 to 9'],
  ])('allowed(%j) says %s', (limits, words) => expect(allowed('an integer', limits)).toBe(words));
});
