import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibvirtConnection } from './backend.js';
import type { Hypervisor } from './hypervisor.js';
import { STALE_PROBE_MS, probeDomainName, probeDomainXml, sweepStaleProbes } from './kvm-probe.js';

// An agent stopped or killed while its start-up KVM probe ran leaves the probe domain and files
// behind; the next probe removes them, and only them (libvirt's test driver, in-process).

let hv: Hypervisor;
let dir = '';

beforeAll(async () => {
  hv = await openLibvirtConnection('test:///default');
  dir = await mkdtemp(join(tmpdir(), 'vmpool-probe-sweep-'));
});
afterAll(async () => {
  await hv?.close();
  await rm(dir, { recursive: true, force: true });
});

async function defineRunning(name: string): Promise<void> {
  await hv.defineXml(probeDomainXml(name, join(dir, `${name}.img`), join(dir, `${name}.log`), 'test'));
  await hv.start(name);
}

describe('sweepStaleProbes', () => {
  it('removes probe domains and files older than the bound, and leaves a running probe and other domains alone', async () => {
    const now = Date.now();
    const stale = probeDomainName(now - STALE_PROBE_MS - 60_000);
    const fresh = probeDomainName(now - 1_000);
    const other = 'vmpool-kvm-probe-web'; // not a probe's name format: never touched
    for (const n of [stale, fresh, other]) await defineRunning(n);
    for (const n of [stale, fresh]) await writeFile(join(dir, `${n}.img`), 'x');
    await writeFile(join(dir, 'unrelated.img'), 'x');

    expect(await sweepStaleProbes(hv, dir, now)).toEqual([stale]);

    const names = (await hv.listDomains()).map((d) => d.name);
    expect(names).not.toContain(stale);
    expect(names).toEqual(expect.arrayContaining([fresh, other]));
    expect((await readdir(dir)).sort()).toEqual([`${fresh}.img`, 'unrelated.img'].sort());
  });
});
