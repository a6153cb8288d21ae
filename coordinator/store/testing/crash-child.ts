// crash-child runs LowdbStore updates in bursts and prints "ack N" after each durable update, so a
// parent can SIGKILL it mid-stream and check that every acknowledged update survives.
// argv: <state path> [<compaction step to stop at>]. With a step, the journal compacts every few
// writes and the child prints "at <step>" and hangs there (the parent kills it at that point).
import { LowdbStore } from '../lowdb-store.js';
import type { CompactionStep } from '../snapshot-writer.js';

const path = process.argv[2];
const stopAt = process.argv[3] as CompactionStep | undefined;
if (!path) throw new Error('Cannot run crash child: missing state file path');
const store = new LowdbStore(path, {
  compactMinBytes: 2048,
  compactRatio: 0,
  onCompactionStep: (step) => {
    if (step !== stopAt) return;
    process.stdout.write(`at ${step}\n`);
    return new Promise<void>(() => undefined);
  },
});
const loaded = await store.load();
let next = Object.keys(loaded.idempotency).length + 1;
for (;;) {
  const burst = Array.from({ length: 5 }, () => next++);
  await Promise.all(
    burst.map((i) =>
      store
        .update((d) => {
          d.idempotency[`crash:${i}`] = { vm_id: `vm-${i}`, request_hash: 'x'.repeat(64), created_at: '' };
        })
        .then(() => process.stdout.write(`ack ${i}\n`)),
    ),
  );
}
