import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { journalSend, loadSystemd, parseJournalFrame } from './systemd.js';

// The journal thread: sends the frames the main thread batches (see journal-thread.ts), one
// datagram each; one the socket refuses goes through sd_journal_sendv, and one that cannot reach
// journald at all is written to stderr as a JSON line of its fields, so nothing is lost silently.

const counters = new Int32Array(workerData.counters as SharedArrayBuffer);
const binding = loadSystemd();

function sendOne(frame: Buffer): void {
  if (binding !== null && binding.journalDatagram(frame) >= 0) return;
  const fields = parseJournalFrame(frame);
  if (binding !== null && journalSend(fields, binding)) return;
  try {
    writeSync(2, `${JSON.stringify(fields)}\n`);
  } catch {}
}

parentPort?.on('message', (batch: { data: ArrayBuffer; lengths: Uint32Array }) => {
  const data = Buffer.from(batch.data);
  let at = 0;
  for (const length of batch.lengths) {
    sendOne(data.subarray(at, at + length));
    at += length;
  }
  // one batch done: the main thread's exit waits on this count
  Atomics.add(counters, 1, 1);
  Atomics.notify(counters, 1);
});
