// crash-child runs LowdbStore updates in bursts and prints "ack N" after each durable update, so a
// parent can SIGKILL it mid-stream and check that every acknowledged update reached the file.
import { LowdbStore } from '../lowdb-store.js';

const path = process.argv[2];
if (!path) throw new Error('Cannot run crash child: missing state file path');
const store = new LowdbStore(path);
await store.load();
let next = 1;
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
