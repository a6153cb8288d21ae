// The heartbeat bench's options (bench/heartbeats.ts documents each flag).
import { parseArgs } from 'node:util';

/** Options are the heartbeat bench's parsed flags. */
export interface Options {
  agents: number[];
  vms: number;
  mode: 'delta' | 'full';
  heartbeatMs: number;
  missed: number;
  statsEveryMs: number;
  measureS: number;
  kills: number;
  scrapeAfterKillMs: number | null;
  simProcs: number;
  simNice: number;
  concurrency: number;
  ping: boolean;
  json: boolean;
}

/** parseOptions reads the flags; a bad --mode or --ping is an error. */
export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: 'string', default: '1000,3000' },
      vms: { type: 'string', default: '16' },
      mode: { type: 'string', default: 'delta' },
      'heartbeat-ms': { type: 'string', default: '1000' },
      missed: { type: 'string', default: '2' },
      'stats-every-ms': { type: 'string', default: '10000' },
      'measure-s': { type: 'string', default: '10' },
      kills: { type: 'string', default: '1' },
      'scrape-after-kill-ms': { type: 'string' },
      'sim-procs': { type: 'string', default: '1' },
      'sim-nice': { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '100' },
      ping: { type: 'string', default: 'each' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.mode !== 'delta' && values.mode !== 'full') throw new Error('--mode must be delta or full');
  if (values.ping !== 'each' && values.ping !== 'none') throw new Error('--ping must be each or none');
  return {
    agents: values.agents.split(',').map(Number),
    vms: Number(values.vms),
    mode: values.mode,
    heartbeatMs: Number(values['heartbeat-ms']),
    missed: Number(values.missed),
    statsEveryMs: Number(values['stats-every-ms']),
    measureS: Number(values['measure-s']),
    kills: Math.max(1, Number(values.kills)),
    scrapeAfterKillMs:
      values['scrape-after-kill-ms'] === undefined ? null : Number(values['scrape-after-kill-ms']),
    simProcs: Math.max(1, Number(values['sim-procs'])),
    simNice: Number(values['sim-nice']),
    concurrency: Number(values.concurrency),
    ping: values.ping === 'each',
    json: values.json,
  };
}
