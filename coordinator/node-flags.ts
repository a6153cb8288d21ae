/**
 * COORDINATOR_NODE_FLAGS are the node/V8 flags the coordinator is started with (issue 11; figures in
 * bench/RESULTS.md, "Creates through HTTP", wave 8). V8 sizes its young generation when the process
 * starts, so they must be on node's command line: the systemd unit's ExecStart, the bin's shebang
 * (coordinator/main.ts), scripts/demo.sh, the e2e helper and the benches that start a coordinator
 * (bench/lib/coordinator-proc.ts) all pass them; coordinator/node-flags.test.ts checks they agree.
 *
 * - `--max-semi-space-size=32`: the young generation may grow to 32 MiB semi-spaces instead of 16.
 *   At 1,000 creates/s (each a few KB of short-lived request, event and log objects) that halves the
 *   scavenges (54-57 -> 28 in the creates bench's window), each a pause of the event loop, for a
 *   little more memory (16 MiB more, reserved only as the young generation grows).
 */
export const COORDINATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
