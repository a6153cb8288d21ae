/**
 * AGENT_NODE_FLAGS are the node/V8 flags `vmpool-agent run` is started with, to keep its idle
 * footprint small (issue 11; figures in bench/RESULTS.md, "Agent idle footprint"). V8 sizes its heaps
 * when the process starts, so these must be on node's command line: the systemd unit's ExecStart,
 * the bin's shebang (agent/main.ts), scripts/demo.sh, the e2e helper that starts agents and the
 * agent-rss bench all pass them; agent/node-flags.test.ts checks that they agree.
 *
 * - `--max-semi-space-size=1`: the young generation stays at 1 MiB semi-spaces instead of growing
 *   to 16 MiB; an idle agent allocates little.
 * - `--v8-pool-size=1`: one V8 background thread instead of one per core (GC and compile tasks).
 * - `--jitless`: no optimizing or baseline compilers, so their code and code space are never paged
 *   in; the agent's JS is I/O-bound (libvirt, sidecars, the link). It also turns off WebAssembly,
 *   so the agent must not use `fetch()` (Node 20's undici parses HTTP with WebAssembly).
 * - `--no-expose-wasm`: says the same explicitly, which keeps V8 from warning about it at every start.
 */
export const AGENT_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--v8-pool-size=1',
  '--jitless',
  '--no-expose-wasm',
];
