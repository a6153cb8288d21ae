// npm run bench -- <name> [options]: one entry point for every benchmark (see bench/RESULTS.md).
import { basename } from 'node:path';

type Runner = (argv: string[]) => Promise<void>;

// Benches exporting run(argv) are called; older ones parse process.argv when imported.
const BENCHES: Record<string, { about: string; load: () => Promise<{ run?: Runner }> }> = {
  placement: {
    about: 'placement throughput through the index vs the full scan',
    load: () => import('./placement.js'),
  },
  heartbeats: {
    about: 'heartbeat ingestion by the real coordinator from simulated agents',
    load: () => import('./heartbeats.js'),
  },
  spawn: {
    about: 'spawn latency vs virt-install and a plain virsh floor (needs libvirtd)',
    load: () => import('./spawn.js'),
  },
  'guest-boot': {
    about: 'spawn-to-SSH and spawn-to-ready of the real Debian guest (needs libvirtd; TCG here)',
    load: () => import('./guest-boot.js'),
  },
  recovery: { about: 'agent recovery of many sidecars', load: () => import('./recovery.js') },
  store: {
    about: 'file store at fleet size: start, one durable write, compaction under writes',
    load: () => import('./store.js'),
  },
  creates: {
    about: 'creates through HTTP with simulated agents acking at once and a pre-filled store',
    load: () => import('./creates.js'),
  },
  'agent-rss': {
    about: "the agent's idle RSS, smaps breakdown and CPU % on libvirt's test driver",
    load: () => import('./agent-rss.js'),
  },
  broker: {
    about: 'broker latency over a direct upstream call, answers/s at a full gate',
    load: () => import('./broker.js'),
  },
  ha: {
    about: 'creates/s and p99 through HTTP, lowdb vs etcd (3 members); failover time, median of 5',
    load: () => import('./ha.js'),
  },
};

function usage(): string {
  const rows = Object.entries(BENCHES).map(([name, b]) => `  ${name.padEnd(12)} ${b.about}`);
  return `usage: npm run bench -- <name> [options]\n\n${rows.join('\n')}\n`;
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
  process.argv = [process.argv[0]!, basename(name!), ...rest];
  const mod = await bench.load();
  if (mod.run) await mod.run(rest);
}

await main();
