// A process of simulated agents for the heartbeat bench, forked with IPC so the coordinator's CPU is
// measured apart from the agents'. The parent sends SimCommands; see sim-agents.ts for the agents.
import { simNodeId } from './seed-store.js';
import { type SimCounts, SimFleet, type SimOptions } from './sim-agents.js';

/** SimCommand is a parent → sim message; SimEvent a sim → parent one. */
export type SimCommand =
  | { cmd: 'connect'; options: SimOptions; from: number; count: number }
  | { cmd: 'beat' }
  | { cmd: 'count' }
  | { cmd: 'kill'; index: number }
  | { cmd: 'stop' };
export type SimEvent =
  | { ev: 'connected'; welcomeMs: number[] }
  | ({ ev: 'count' } & SimCounts)
  | { ev: 'killed'; node_id: string; at: number; lastBeatAt: number }
  | { ev: 'error'; message: string };

let fleet: SimFleet | undefined;

function reply(e: SimEvent): void {
  process.send?.(e);
}

function connect(m: Extract<SimCommand, { cmd: 'connect' }>): void {
  fleet = new SimFleet(m.options);
  const ids = Array.from({ length: m.count }, (_, i) => simNodeId(m.from + i));
  fleet.connect(ids).then(
    (welcomeMs) => reply({ ev: 'connected', welcomeMs }),
    (err: Error) => reply({ ev: 'error', message: err.message }),
  );
}

process.on('message', (m: SimCommand) => {
  if (m.cmd === 'connect') connect(m);
  else if (m.cmd === 'beat') fleet?.start();
  else if (m.cmd === 'count')
    reply({
      ev: 'count',
      ...(fleet?.counts ?? { sent: 0, full: 0, resyncs: 0, lateBeats: 0, maxLateMs: 0 }),
    });
  else if (m.cmd === 'kill') reply({ ev: 'killed', ...fleet!.kill(m.index), at: Date.now() });
  else {
    fleet?.close();
    process.exit(0);
  }
});
