// The heartbeat bench's options (bench/heartbeats.ts documents each flag).
import { choice, decimal, flag, integer, integers } from './option-kinds.js';
import { type OptionValues, parseOptions as parseTable } from './options.js';

/** OPTIONS are the heartbeat bench's flags (bench/main.ts prints them for --help). */
const OPTIONS = {
  agents: integers({ min: 1, default: [1000, 3000] }),
  vms: integer({ min: 0, default: 16 }),
  mode: choice(['delta', 'full'], 'delta'),
  heartbeatMs: integer({ min: 1, default: 1000 }),
  missed: integer({ min: 1, default: 2 }),
  statsEveryMs: integer({ min: 1, default: 10000 }),
  measureS: decimal({ above: 0, default: 10 }),
  kills: integer({ min: 1, default: 1 }),
  scrapeAfterKillMs: integer({ min: 0 }),
  simProcs: integer({ min: 1, default: 1 }),
  simNice: integer({ min: -20, max: 19, default: 0 }),
  concurrency: integer({ min: 1, default: 100 }),
  ping: choice(['each', 'none'], 'each'),
  json: flag(),
};

/** Options are the heartbeat bench's parsed flags. */
export interface Options extends Omit<OptionValues<typeof OPTIONS>, 'scrapeAfterKillMs' | 'ping'> {
  /** GET /metrics this long after each kill; null: no scrapes in the window */
  scrapeAfterKillMs: number | null;
  /** a WebSocket ping before every beat (--ping each) */
  ping: boolean;
}

/** parseOptions reads the flags; a bad flag or value is a BenchUsageError. */
export function parseOptions(argv: string[]): Options {
  const o = parseTable(argv, OPTIONS);
  return { ...o, scrapeAfterKillMs: o.scrapeAfterKillMs ?? null, ping: o.ping === 'each' };
}
