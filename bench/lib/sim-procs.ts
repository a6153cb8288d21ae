// The parent's side of the simulator processes (sim-proc.ts): fork one, ask it and wait for its answer.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { SimCounts } from './sim-agents.js';
import type { SimCommand, SimEvent } from './sim-proc.js';

const SIM_BIN = join(import.meta.dirname, 'sim-proc.js');

/** Sim is one simulated-agent process and a way to ask it something and wait for the answer. */
export interface Sim {
  readonly child: ChildProcess;
  ask<E extends SimEvent['ev']>(m: SimCommand, ev: E): Promise<Extract<SimEvent, { ev: E }>>;
}

/** startSim forks one simulator process. */
export function startSim(): Sim {
  const child = fork(SIM_BIN, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return {
    child,
    ask: (m, ev) =>
      new Promise((resolve, reject) => {
        const on = (e: SimEvent) => {
          if (e.ev === 'error') reject(new Error(e.message));
          else if (e.ev === ev) resolve(e as never);
          else return;
          child.off('message', on);
        };
        child.on('message', on);
        child.send(m);
      }),
  };
}

/** sentTotals adds up what every simulator process has sent so far. */
export async function sentTotals(sims: Sim[]): Promise<SimCounts> {
  const all = await Promise.all(sims.map((s) => s.ask({ cmd: 'count' }, 'count')));
  return all.reduce(
    (a, c) => ({
      sent: a.sent + c.sent,
      full: a.full + c.full,
      resyncs: a.resyncs + c.resyncs,
      lateBeats: a.lateBeats + c.lateBeats,
      maxLateMs: Math.max(a.maxLateMs, c.maxLateMs),
    }),
    { sent: 0, full: 0, resyncs: 0, lateBeats: 0, maxLateMs: 0 },
  );
}
