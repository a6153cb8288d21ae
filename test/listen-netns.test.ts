import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STRICT_TESTS } from '../shared/testing-env.js';
import { ADMIN_TOKEN, BIN, JOIN_TOKEN, ROOT, requireBuild } from './helpers/procs.js';

// The shipped coordinator example listens on wg0:7700 (seed 002's WireGuard mesh). In a network
// namespace of its own with a veth named wg0 (no dummy driver needed), the built coordinator binds
// that interface's address; without wg0 it exits 2 saying exactly what to change.

const canNetns =
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['-n', 'sh', '-c', 'ip link add t0 type veth peer name t1']).status === 0;
const WORK = mkdtempSync(join(tmpdir(), 'vmpool-netns-'));
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

const EXAMPLE = join(ROOT, 'systemd/coordinator.example.json');
const BANDS = join(ROOT, 'systemd/bands.example.json');
const FETCH = `const r = await fetch(process.argv[1]); process.stdout.write(r.status + ' ' + (await r.text()));`;

function inNetns(script: string, timeoutMs = 30_000) {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: {
      ...process.env,
      VMPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
      VMPOOL_JOIN_TOKEN: JOIN_TOKEN,
      NODE: process.execPath,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!canNetns && !STRICT_TESTS)('listening on a named interface (network namespace)', () => {
  it('binds wg0 from the example config and answers there, not on loopback', () => {
    requireBuild();
    const data = join(WORK, 'data-wg0');
    const script = `set -e
ip link set lo up
ip link add wg0 type veth peer name wg0-peer
ip addr add 10.77.0.1/24 dev wg0
ip link set wg0 up; ip link set wg0-peer up
"$NODE" ${BIN.coordinator} --config ${EXAMPLE} --bands ${BANDS} --data-dir ${data} 2>/dev/null &
pid=$!
for i in $(seq 1 100); do "$NODE" --input-type=module -e "${FETCH}" http://10.77.0.1:7700/healthz 2>/dev/null && break; sleep 0.1; done
echo
"$NODE" --input-type=module -e "${FETCH}" http://127.0.0.1:7700/healthz 2>/dev/null || echo 'loopback refused'
kill $pid`;
    const r = inNetns(script);
    expect(r.stdout.trim().split('\n')).toEqual(['200 {"ok":true}', 'loopback refused']);
  });

  it('without wg0 exits 2 with one line saying exactly what to change', () => {
    const r = inNetns(
      `ip link set lo up; exec "$NODE" ${BIN.coordinator} --config ${EXAMPLE} --bands ${BANDS} --data-dir ${join(WORK, 'data-none')}`,
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'vmpool-coordinator: Cannot listen on interface "wg0": no such interface or no address; set listen ' +
        '(--listen, VMPOOL_LISTEN or "listen" in the config file) to IFACE:PORT with an interface here (lo) ' +
        'or to ADDR:PORT such as 127.0.0.1:7700',
    );
  });
});
