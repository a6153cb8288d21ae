import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { HeldBatch, LOG_HOLD_MS } from './line-buffer.js';
import { parseJournalFrame, sendJournalFrame } from './systemd.js';

// at exit, wait this long at most for the journal thread to send what it was given
const EXIT_DRAIN_MS = 500;
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * deliverJournalFrame sends one frame to journald (a datagram, or sd_journal_sendv for one too
 * large); one that cannot reach journald is written to stderr as a JSON line of its fields, so no
 * line is lost silently. Never throws.
 */
export function deliverJournalFrame(frame: Buffer): void {
  try {
    if (sendJournalFrame(frame)) return;
    writeSync(2, `${JSON.stringify(parseJournalFrame(frame))}\n`);
  } catch {}
}

/** ThreadedJournal queues native-protocol frames for the journal thread, in order. */
export interface ThreadedJournal {
  /** send queues one frame; `urgent` hands it and everything before it to the thread now */
  send(frame: Buffer, urgent: boolean): void;
  /** drain hands over what is queued and waits (at most `ms`) until the thread has sent it all */
  drain(ms?: number): boolean;
}

/**
 * startJournalThread moves journald's sends off the event loop. On this kind of host a datagram
 * that wakes journald costs the sender ~20 µs, most of it waiting, and a busy coordinator logs
 * thousands of lines a second; here the main thread gathers frames for at most LOG_HOLD_MS and
 * posts them as one message to a worker thread that does the sends. Order is kept (one queue, one
 * thread). At process exit the main thread waits, bounded, until the worker has sent everything it
 * was given, so the lines that explain an exit are in the journal. Should the thread die, frames
 * are sent from the event loop again. Null when no worker can start.
 */
export function startJournalThread(): ThreadedJournal | null {
  const counters = new Int32Array(new SharedArrayBuffer(8)); // [batches posted, batches sent]
  let worker: Worker;
  try {
    worker = new Worker(new URL('./journal-thread-worker.js', import.meta.url), {
      workerData: { counters: counters.buffer },
      stdout: false,
      stderr: false,
    });
  } catch {
    return null;
  }
  worker.unref();
  let alive = true;
  // a dead thread takes its queue with it: later frames go out from here, one by one
  const dead = (): void => {
    alive = false;
  };
  worker.on('error', dead);
  worker.on('exit', dead);
  // posts one batch: its own ArrayBuffer (never the shared pool's), transferred, not copied
  const post = (batch: Buffer[]): void => {
    if (!alive) {
      for (const frame of batch) deliverJournalFrame(frame);
      return;
    }
    const data = Buffer.allocUnsafeSlow(batch.reduce((n, f) => n + f.length, 0));
    const lengths = new Uint32Array(batch.length);
    let at = 0;
    for (const [i, frame] of batch.entries()) {
      frame.copy(data, at);
      at += frame.length;
      lengths[i] = frame.length;
    }
    Atomics.add(counters, 0, 1);
    worker.postMessage({ data: data.buffer, lengths }, [data.buffer, lengths.buffer]);
  };
  const frames = new HeldBatch<Buffer>(post, frameLength, MAX_BATCH_BYTES, LOG_HOLD_MS);

  const drain = (ms = EXIT_DRAIN_MS): boolean => {
    frames.flush();
    const deadline = Date.now() + ms;
    for (;;) {
      if (!alive) return false;
      const sent = Atomics.load(counters, 1);
      if (sent >= Atomics.load(counters, 0)) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      Atomics.wait(counters, 1, sent, left);
    }
  };
  process.on('exit', () => drain());

  return {
    send: (frame, urgent) => frames.push(frame, urgent),
    drain,
  };
}

function frameLength(frame: Buffer): number {
  return frame.length;
}
