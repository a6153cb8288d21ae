import { parentPort, workerData } from 'node:worker_threads';
import { deliverJournalFrame } from './journal-thread.js';

// The journal thread: sends the frames the main thread batches (see journal-thread.ts), in order.

const counters = new Int32Array(workerData.counters as SharedArrayBuffer);

parentPort?.on('message', (batch: { data: ArrayBuffer; lengths: Uint32Array }) => {
  const data = Buffer.from(batch.data);
  let at = 0;
  for (const length of batch.lengths) {
    deliverJournalFrame(data.subarray(at, at + length));
    at += length;
  }
  // one batch done: the main thread's exit waits on this count
  Atomics.add(counters, 1, 1);
  Atomics.notify(counters, 1);
});
