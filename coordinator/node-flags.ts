/**
 * COORDINATOR_NODE_FLAGS are the node/V8 flags the coordinator is started with (issue 11; figures in
 * bench/RESULTS.md, "Creates through HTTP", waves 8 and 10). V8 sizes its young generation when the
 * process starts, so they must be on node's command line: the systemd unit's ExecStart, the bin's
 * shebang (coordinator/main.ts), scripts/demo.sh, the e2e helper and the benches that start a
 * coordinator (bench/lib/coordinator-proc.ts) all pass them; coordinator/node-flags.test.ts checks
 * they agree.
 *
 * - `--max-semi-space-size=16`: the young generation stops at 16 MiB semi-spaces (V8's own ceiling on
 *   64-bit, stated so a small host does not pick less). What a scavenge copies is mostly what each
 *   create keeps for good (the VM record, its index entries, its events in the ring: ~2 KB, copied
 *   once to the survivor space and once more into old space), so its pause grows with the creates
 *   since the last one. At 1,000 creates/s, 16 MiB gives twice the scavenges of 32 MiB (48 instead
 *   of 24 per 6,000 creates) at about half the pause (4-5 ms instead of 7-8), which a loaded event
 *   loop drains twice as fast; wave 8's 32 MiB (then: half the scavenges of a heavier create path)
 *   now lengthens the create tail more than it saves. 8 MiB pauses ~3 ms but costs ~1.5x the GC time.
 */
export const COORDINATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];
