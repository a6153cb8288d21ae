// Bundles the agent into dist/agent/main.js (replacing tsc's output for that one file), so every way
// of starting it (systemd unit, bin, scripts/demo.sh, tests, benches) runs the bundle. One module
// instead of ~130 saves ≈ 3 MiB of the idle agent's heap (bench/RESULTS.md, "Agent idle footprint").
// Code loaded only on rare paths (cloud-init seed, systeminformation) stays in lazy chunks under
// dist/agent/chunks/. Identifiers are kept, so stack traces stay readable; the .map files beside the
// bundle map them to the TypeScript sources with `node --enable-source-maps`. koffi is a native
// addon and stays in node_modules. tsc's per-file output stays in dist/agent/ for benches and tests
// that import single modules; if this step is skipped, dist/agent/main.js is tsc's (same program).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// CommonJS dependencies (ws, prom-client) call require(); an ESM bundle has none of its own.
const REQUIRE_SHIM = "import { createRequire as __vmpoolRequire } from 'node:module';\nconst require = __vmpoolRequire(import.meta.url);";

rmSync('dist/agent/chunks', { recursive: true, force: true }); // no stale chunks from an earlier build
await build({
  entryPoints: { main: 'agent/main.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  outdir: 'dist/agent',
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: REQUIRE_SHIM },
  logLevel: 'warning',
});
