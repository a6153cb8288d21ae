import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, ROOT } from './helpers/procs.js';

const execFileP = promisify(execFile);
const MAIN = join(ROOT, 'dist/bench/main.js');

// Every bench that runs without a real VM, once at a tiny size, so none rots. Nothing here checks a
// figure (the machine is shared and slow); only that each bench runs and reports what it promises.
// The spawn bench needs qemu:///system and a base image; the agent e2e suite exercises that path.

beforeAll(() => requireBuild());

async function bench(args: string[]): Promise<string> {
  const { stdout } = await execFileP(process.execPath, [MAIN, ...args], { timeout: 120_000 });
  return stdout;
}

describe('npm run bench at a tiny size', () => {
  it('placement prints one JSON object with the promised figures', async () => {
    const out = JSON.parse(
      await bench(['placement', '--nodes', '30', '--requests', '60', '--compare', '10', '--json']),
    );
    expect(out).toMatchObject({ bench: 'placement', nodes: 30 });
    for (const key of ['placements_per_s', 'p50_ms', 'p99_ms', 'fill_ratio'])
      expect(typeof out[key]).toBe('number');
    expect(out.warm.placed + out.warm.failed).toBeGreaterThan(0);
  });

  it('placement --peer hspace runs vmpool on the peer fleet and skips an absent hspace (CI never installs it)', async () => {
    const { stdout } = await execFileP(
      process.execPath,
      [MAIN, 'placement', '--peer', 'hspace', '--nodes', '3', '--json'],
      { timeout: 120_000, env: { ...process.env, VMPOOL_HSPACE: '/nonexistent/hspace' } },
    );
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ bench: 'placement', peer: 'hspace', nodes: 3, ratio: null });
    expect(out.vmpool.placed).toBe(48);
    expect(out.hspace.skipped).toMatch(/hspace-setup\.sh/);
  });

  it('heartbeats drives the real coordinator with agents reporting VMs', async () => {
    const args = [
      'heartbeats',
      '--agents',
      '5',
      '--vms',
      '2',
      '--measure-s',
      '4',
      '--kills',
      '2',
      '--heartbeat-ms',
      '500',
      '--json',
    ];
    const out = JSON.parse((await bench(args)).trim().split('\n').at(-1)!);
    // the simulated agents ping before every beat, as real agents do
    expect(out).toMatchObject({ bench: 'heartbeats', agents: 5, vms_per_agent: 2, ping_each_beat: true });
    expect(out.ingested_per_s).toBeGreaterThan(0);
    expect(typeof out.healthz_p99_ms).toBe('number');
    // both killed agents are seen down, and node.down says why: silent past its bound (2 × 500 ms + jitter)
    expect(out.kill_summary).toMatchObject({ kills: 2, seen_down: 2 });
    for (const k of out.killed) {
      expect(k.down_after_ms).toBeGreaterThanOrEqual(1_000);
      expect(k.silent_ms - k.stall_credit_ms).toBeGreaterThan(k.down_after_ms);
    }
  });

  it('recovery times adopt and roll back on the libvirt test driver', async () => {
    expect(await bench(['recovery', '--vms', '5'])).toMatch(/\d/);
  });

  it('store builds a store, writes, compacts under writes and times a coordinator start on it', async () => {
    const out = JSON.parse(
      await bench(['store', '--vms', '300', '--writes', '40', '--concurrency', '4', '--json']),
    );
    expect(out).toMatchObject({ bench: 'store', vms: 300 });
    expect(out.write_sequential.count).toBe(40);
    expect(out.write_concurrent.fdatasyncs).toBeGreaterThan(0);
    expect(out.compaction.compaction_ms).toBeGreaterThanOrEqual(0);
    expect(out.coordinator_start_to_healthz_ms).toBeGreaterThan(0);
  });

  it('creates posts VMs through HTTP to simulated agents that ack at once', async () => {
    const args = [
      'creates',
      '--nodes',
      '3',
      '--vms',
      '30',
      '--creates',
      '12',
      '--concurrency',
      '3',
      '--idle-s',
      '0.5',
      '--json',
    ];
    const out = JSON.parse(await bench(args));
    expect(out.coordinator_cpu_ms_per_create).toBeGreaterThan(0);
    expect(out.fdatasync_floor.count).toBe(300);
    expect(out).toMatchObject({ bench: 'creates', nodes: 3, prefilled_vms: 30, created: 12, refused: {} });
    expect(out).toMatchObject({ mode: 'closed', concurrency: 3 });
    expect(out.creates_per_s).toBeGreaterThan(0);
  });

  it('creates --rate runs the open loop: creates on a schedule, latency from the scheduled start', async () => {
    const args = ['creates', '--nodes', '3', '--vms', '30', '--creates', '20', '--rate', '200'];
    const out = JSON.parse(await bench([...args, '--idle-s', '0.5', '--warmup', '10', '--json']));
    expect(out).toMatchObject({ bench: 'creates', mode: 'open', rate: 200, created: 20, refused: {} });
    // the warm-up's creates are counted apart, not in the measured 20
    expect(out.warmup).toMatchObject({ creates: 10, refused: {}, count: 10 });
    expect(out.count).toBe(20);
    expect(out.max_inflight).toBeGreaterThanOrEqual(1);
    expect(out.p99_ms).toBeGreaterThanOrEqual(out.p50_ms);
    expect(out.coordinator_eventloop_lag_max_ms).toBeGreaterThan(0);
    expect(typeof out.coordinator_gc).toBe('object');
    expect(out.coordinator_cpu_ms_per_create).toBeGreaterThan(0);
  });

  it('creates --log journald logs to a real systemd-journald, as under systemd, and counts its CPU', async () => {
    const qlenBefore = readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8').trim();
    const args = ['creates', '--nodes', '3', '--vms', '30', '--creates', '20', '--log', 'journald'];
    const out = JSON.parse(await bench([...args, '--idle-s', '0.5', '--json']));
    expect(out).toMatchObject({ bench: 'creates', log: 'journald', created: 20, refused: {} });
    // every line reached the journal natively: none fell back to stderr
    expect(out.log_fallback_bytes).toBe(0);
    expect(out.journald_cpu_ms_per_create).toBeGreaterThanOrEqual(0);
    // the run had systemd's datagram queue length, and the host's value came back afterwards
    expect(out.unix_max_dgram_qlen).toBeGreaterThanOrEqual(512);
    expect(readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8').trim()).toBe(qlenBefore);
  });

  it('metrics scrapes the real coordinator with every simulated agent connected', async () => {
    const args = ['metrics', '--nodes', '4', '--vms', '8', '--scrapes', '3'];
    const out = JSON.parse(await bench([...args, '--gap-ms', '50', '--settle-s', '0.2', '--json']));
    expect(out).toMatchObject({ bench: 'metrics', nodes: 4, vms: 8, scrapes: 3 });
    expect(out.scrape).toMatchObject({ count: 3 });
    // 4 nodes: one heartbeat age each and free threads and memory for each of their 2 NUMA nodes
    expect(out.node_series).toBe(4 + 2 * 4 * 2);
    expect(out.series).toBeGreaterThan(out.node_series);
    expect(out.body_bytes).toBeGreaterThan(0);
    expect(out.eventloop_lag_max_ms.count).toBe(3);
    expect(out.healthz_probes).toBeGreaterThan(0);
  });

  it('agent-rss measures an idle agent on qemu:///system, without libvirt.so in its process', async () => {
    const out = JSON.parse(await bench(['agent-rss', '--idle-s', '1', '--json']));
    expect(out).toMatchObject({
      bench: 'agent-rss',
      idle_s: 1,
      libvirt_uri: 'qemu:///system',
      libvirt_so_mapped: false,
    });
    expect(out.rss_mib).toBeGreaterThan(out.node_bare_rss_mib);
    expect(out.private_dirty_mib).toBeGreaterThan(0);
  });

  it('guest-boot sets up the real coordinator, agent and guest image, and reports with --runs 0', async () => {
    const out = JSON.parse((await bench(['guest-boot', '--runs', '0', '--json'])).trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ bench: 'guest-boot', runs: 0, figures: [], spawn_to_ssh_p50_ms: null });
    expect(typeof out.kvm).toBe('boolean');
  });

  it('names the benches and refuses an unknown one', async () => {
    await expect(bench(['nope'])).rejects.toMatchObject({ code: 2 });
  });

  it("prints a bench's options for --help, and names a bad flag without a stack trace", async () => {
    expect(await bench(['creates', '--help'])).toContain('--rate R');
    const bad = bench(['creates', '--bogus']);
    await expect(bad).rejects.toMatchObject({ code: 2 });
    const err = await bad.catch((e: { stderr: string }) => e.stderr);
    expect(err).toContain("bench creates: Unknown option '--bogus'");
    expect(err).not.toContain('    at ');
  });

  // a bad value is refused before the bench starts anything: exit 2, the flag, the value, what it
  // takes, and the bench's usage line (ha parses when imported, the others in run())
  it.each([
    [['placement', '--nodes', 'abc'], '--nodes must be an integer >= 1, got "abc"'],
    [['creates', '--rate=-5'], '--rate must be a number >= 0, got "-5"'],
    [['heartbeats', '--agents', '1000,x'], '--agents must be a comma-separated list of integers >= 1'],
    [['ha', '--failovers', '0'], '--failovers must be an integer >= 1, got "0"'],
  ])('refuses %j with exit 2 and says what the flag takes', async (args, message) => {
    const err = await bench(args).then(
      () => expect.unreachable('the bench ran'),
      (e: { code: number; stderr: string }) => e,
    );
    expect(err.code).toBe(2);
    expect(err.stderr).toContain(`bench ${args[0]}: ${message}`);
    expect(err.stderr).toContain(`usage: npm run bench -- ${args[0]} [`);
    expect(err.stderr).not.toContain('    at ');
  });
});
