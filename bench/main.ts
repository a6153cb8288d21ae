// npm run bench -- <name> [options]: one entry point for every benchmark (see bench/RESULTS.md).
import { basename } from 'node:path';
import { isBenchUsageError } from './lib/options.js';

type Runner = (argv: string[]) => Promise<void>;

// Benches exporting run(argv) are called; older ones parse process.argv when imported.
const BENCHES: Record<string, { about: string; options?: string; load: () => Promise<{ run?: Runner }> }> = {
  placement: {
    options:
      '[--nodes 10000 (100 with --peer)] [--requests 20000] [--policy dedicated|shared|mixed] [--ranking pack|spread] [--empty] [--vcpus N] [--memory-mb N] [--compare 200] [--churn 1] [--seed 1] [--peer hspace] [--peer-timeout-s 1800] [--json]',
    about: 'placement throughput through the index vs the full scan',
    load: () => import('./placement.js'),
  },
  heartbeats: {
    options:
      '[--agents 1000,3000] [--vms 16] [--mode delta|full] [--heartbeat-ms 1000] [--missed 2] [--stats-every-ms 10000] [--measure-s 10] [--kills 1] [--scrape-after-kill-ms N] [--sim-procs 1] [--sim-nice 0] [--concurrency 100] [--ping each|none] [--json]',
    about: 'heartbeat ingestion by the real coordinator from simulated agents',
    load: () => import('./heartbeats.js'),
  },
  metrics: {
    options:
      '[--nodes 10000] [--vms 100000] [--scrapes 20] [--gap-ms 250] [--probe-ms 5] [--settle-s 3] [--json]',
    about: 'GET /metrics render cost on the real coordinator with every simulated agent connected',
    load: () => import('./metrics.js'),
  },
  spawn: {
    options: '[--runs 5]',
    about: 'spawn latency vs virt-install and a plain virsh floor (needs libvirtd)',
    load: () => import('./spawn.js'),
  },
  'guest-boot': {
    options: '[--runs 3] [--vcpus 2] [--json]',
    about: 'spawn-to-SSH and spawn-to-ready of the real Debian guest (needs libvirtd; TCG here)',
    load: () => import('./guest-boot.js'),
  },
  recovery: {
    options: '[--vms 500]',
    about: 'agent recovery of many sidecars',
    load: () => import('./recovery.js'),
  },
  store: {
    options: '[--vms 100000] [--writes 2000] [--concurrency 64] [--no-coordinator] [--json]',
    about: 'file store at fleet size: start, one durable write, compaction under writes',
    load: () => import('./store.js'),
  },
  creates: {
    options:
      '[--nodes 10000] [--vms 100000] [--creates 2000] [--concurrency 32 | --rate R [--max-inflight 2000]] [--idle-s 5] [--idle-after-s 0] [--warmup 0] [--log discard|journald] [--json]',
    about: 'creates through HTTP with simulated agents acking at once and a pre-filled store',
    load: () => import('./creates.js'),
  },
  'agent-rss': {
    options:
      '[--idle-s 30] [--json] [--node-args=FLAGS] [--env K=V] [--libvirt-uri qemu:///system] [--libvirt-backend auto|rpc|koffi]',
    about: "the agent's idle RSS, smaps breakdown and CPU % as shipped (qemu:///system through libvirtd)",
    load: () => import('./agent-rss.js'),
  },
  broker: {
    options: '[--requests 1000] [--concurrency 64] [--seconds 5] [--journal-dir DIR]',
    about: 'broker latency over a direct upstream call, answers/s at a full gate',
    load: () => import('./broker.js'),
  },
  ha: {
    options: '[--creates 120] [--concurrency 8] [--failovers 5] [--wait]',
    about: 'creates/s and p99 through HTTP, lowdb vs etcd (3 members); failover time, median of 5',
    load: () => import('./ha.js'),
  },
};

function usage(): string {
  const rows = Object.entries(BENCHES).map(([name, b]) => `  ${name.padEnd(12)} ${b.about}`);
  return `usage: npm run bench -- <name> [options]   (npm run bench -- <name> --help: its options)\n\n${rows.join('\n')}\n`;
}

/** benchUsage is one bench's options line (what `npm run bench -- <name> --help` prints). */
function benchUsage(name: string): string {
  const b = BENCHES[name]!;
  return `usage: npm run bench -- ${name} ${b.options ?? ''}\n  ${b.about}\n`;
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const bench = name === undefined ? undefined : BENCHES[name];
  if (!bench) {
    process.stderr.write(
      name === undefined || name === '--help' ? usage() : `unknown bench ${JSON.stringify(name)}\n${usage()}`,
    );
    process.exit(name === '--help' ? 0 : 2);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(benchUsage(name!));
    return;
  }
  process.argv = [process.argv[0]!, basename(name!), ...rest];
  try {
    const mod = await bench.load();
    if (mod.run) await mod.run(rest);
  } catch (err) {
    // a bad flag or value (bench/lib/options.ts): say which and how to call the bench, not a stack trace
    if (!isBenchUsageError(err)) throw err;
    process.stderr.write(`bench ${name}: ${err.message}\n${benchUsage(name!)}`);
    process.exit(2);
  }
}

await main();
