import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchChromium, type PageWatch, signIn, watchPage } from './helpers/browser.js';
import {
  type FakeHost,
  listNodes,
  makeFakeHost,
  range,
  startFakeAgent,
  vmRequest,
  waitNodesReady,
} from './helpers/fleet.js';
import {
  ADMIN_TOKEN,
  type Coordinator,
  createTenant,
  type Proc,
  ROOT,
  requireBuild,
  startCoordinator,
} from './helpers/procs.js';

// The fleet page in Debian's headless Chromium against a real coordinator with two fake seed-003
// hosts (libvirt test driver): `seed` holds the seed's four VMs, `spare` is a reserved (pass-2) node.

/** SHOTS is where the run writes the README's screenshots (regenerated on every run). */
const SHOTS = process.env.VMPOOL_UI_SHOTS ?? join(ROOT, 'docs/screenshots');
const SEED_VMS = [
  { name: 'k3s-worker-slm-heavy', vcpu: 32, mem: 120_832 },
  { name: 'k3s-worker-data', vcpu: 12, mem: 61_440 },
  { name: 'k3s-worker-slm', vcpu: 8, mem: 32_768 },
  { name: 'k3s-server-tasks', vcpu: 12, mem: 24_576 },
];
const sib = (from: number, to: number) => range(from, to).flatMap((t) => [t, t + 36]);
/** SEED_LAYOUT is seed 003's thread map: which VM's vCPUs, or whose emulator, holds each thread. */
const SEED_LAYOUT: Record<string, number[]> = {
  'k3s-worker-slm-heavy': sib(0, 15),
  'k3s-worker-data': sib(18, 23),
  'k3s-worker-slm': sib(24, 27),
  'k3s-server-tasks': sib(28, 33),
  emulator: [16, 17, 52, 53, 34, 35, 70, 71],
};

let coord: Coordinator;
let browser: Browser;
const agents = new Map<string, Proc>();
const hosts: FakeHost[] = [];
const watches: PageWatch[] = [];
let tenantA: { id: string; token: string };
let tenantB: { id: string; token: string };
const seedIds: string[] = [];

const logs = () => [coord?.out() ?? '', ...[...agents.values()].map((a) => a.out())].join('\n').slice(-5000);
const gib = (mb: number) => `${(mb / 1024).toFixed(1)} GiB`;

async function open(token: string, width = 1280, height = 800): Promise<{ page: Page; w: PageWatch }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const w = watchPage(page);
  watches.push(w);
  await signIn(page, coord.url, token);
  return { page, w };
}

beforeAll(async () => {
  requireBuild();
  await mkdir(SHOTS, { recursive: true });
  coord = await startCoordinator({ args: ['--min-heartbeat-ms', '500', '--missed-heartbeats', '3'] });
  for (const id of ['seed', 'spare']) {
    const host = await makeFakeHost(`ui-${id}`);
    hosts.push(host);
    agents.set(id, startFakeAgent(coord, id, host, id === 'spare' ? ['--reserved'] : []));
  }
  await waitNodesReady(coord, ['seed', 'spare'], logs);
  tenantA = await createTenant(coord, 'ui-a');
  tenantB = await createTenant(coord, 'ui-b');
  for (const vm of SEED_VMS) {
    const r = await coord.api('POST', '/v1/vms', {
      token: tenantA.token,
      body: vmRequest(vm.name, vm.vcpu, vm.mem),
    });
    expect(r.status, JSON.stringify(r.body) + logs()).toBe(201);
    expect(r.body.node_id).toBe('seed');
    seedIds.push(r.body.id);
  }
  const b = await coord.api('POST', '/v1/vms', { token: tenantB.token, body: vmRequest('b-only', 2, 1024) });
  expect(b.status, JSON.stringify(b.body)).toBe(201);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([...agents.values()].map((a) => a.kill()));
  await coord?.kill();
  for (const h of hosts) await rm(h.imagesDir, { recursive: true, force: true });
  if (coord) await rm(coord.dataDir, { recursive: true, force: true });
});

describe('fleet page in headless Chromium', () => {
  it('serves /ui with a strict CSP and no inline script', async () => {
    const res = await fetch(`${coord.url}/ui/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await fetch(`${coord.url}/ui/../data/store.json`)).status).toBe(404);
    expect((await fetch(`${coord.url}/`, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');
    let bytes = 0;
    for (const f of ['index.html', 'app.js', 'app.css', 'favicon.svg']) {
      const r = await fetch(`${coord.url}/ui/${f}`);
      expect(r.status, f).toBe(200);
      expect(r.headers.get('content-security-policy'), f).toBe(csp);
      bytes += (await r.arrayBuffer()).byteLength;
    }
    console.info(`fleet page: assets ${bytes} bytes uncompressed (index.html, app.js, app.css, favicon.svg)`);
  });

  it('signs the admin in and shows GET /v1/nodes figures in the fleet table, reserved nodes apart', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    watches.push(watchPage(page));
    await page.goto(`${coord.url}/ui/`);
    const nav = await page.evaluate(() => {
      const t = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return { dcl: t.domContentLoadedEventEnd, load: t.loadEventEnd };
    });
    expect(await axeViolations(page)).toEqual([]); // the sign-in form
    await page.getByLabel('Admin or tenant token').fill('wrong-token-000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('login-error').innerText()).toContain('unauthorized');
    await page.getByLabel('Admin or tenant token').fill(ADMIN_TOKEN);
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('tr[data-node="seed"]').waitFor();
    console.info(
      `fleet page: DOMContentLoaded ${nav.dcl.toFixed(0)} ms, load ${nav.load.toFixed(0)} ms, sign-in to fleet table ${Date.now() - t0} ms`,
    );
    for (const n of await listNodes(coord)) {
      const full = (await coord.api('GET', '/v1/nodes')).body.nodes.find(
        (x: { id: string }) => x.id === n.id,
      );
      const table = n.reserved ? 'reserved-nodes' : 'nodes';
      const row = page.getByTestId(table).locator(`tr[data-node="${n.id}"]`);
      const cell = (col: string) => row.locator(`td[data-col="${col}"]`).innerText();
      expect(await cell('state')).toBe(n.state);
      expect(await cell('vms')).toBe(String(n.vms.length));
      expect(await cell('vcpu')).toBe(`${n.vcpu_used}/${n.vcpu_total}`);
      expect(await cell('ram')).toBe(`${gib(n.ram_used_mb)} / ${gib(n.ram_total_mb)}`);
      expect(await cell('available')).toBe(`${full.vcpu_available} vCPU, ${gib(full.ram_available_mb)}`);
      expect(await cell('over')).toBe(full.over_allocated ? 'yes' : 'no');
    }
    expect(await page.getByTestId('nodes').locator('tr[data-node="spare"]').count()).toBe(0);
    expect(await page.getByTestId('bands').locator('meter').count()).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'fleet.png'), fullPage: true });
    await page.close();
  });

  it("draws seed 003's pin map: the four VMs, emulator and host threads exactly as the seed", async () => {
    const { page } = await open(ADMIN_TOKEN);
    await page.goto(`${coord.url}/ui/#/nodes/seed`);
    await page.locator('[data-thread="71"]').waitFor();
    const cells = await page.locator('[data-thread]').evaluateAll((els) =>
      els.map((e) => ({
        id: Number(e.getAttribute('data-thread')),
        holder: e.getAttribute('data-holder'),
        vcpu: e.getAttribute('data-vcpu'),
      })),
    );
    expect(cells).toHaveLength(72);
    const got: Record<string, number[]> = {};
    for (const c of cells) {
      const k = c.holder!;
      got[k] = [...(got[k] ?? []), c.id];
    }
    const sorted = (o: Record<string, number[]>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort((a, b) => a - b)]));
    expect(sorted(got)).toEqual(sorted(SEED_LAYOUT));
    // vCPU numbers follow the seed's sibling order: 0→0, 36→1, 1→2, 37→3 …
    const heavy = cells.filter((c) => c.holder === 'k3s-worker-slm-heavy');
    expect(heavy.find((c) => c.id === 36)!.vcpu).toBe('1');
    expect(heavy.find((c) => c.id === 51)!.vcpu).toBe('31');
    // keyboard: focus a thread and the panel names VM, vCPU and the emulator threads' owner
    await page.locator('[data-thread="37"]').focus();
    await expect
      .poll(() => page.getByTestId('thread-panel').innerText())
      .toContain('k3s-worker-slm-heavy vCPU 3');
    await page.locator('[data-thread="34"]').focus();
    await expect
      .poll(() => page.getByTestId('thread-panel').innerText())
      .toMatch(/emulator threads of .*k3s-worker-data/);
    // colour is not the only carrier: every thread cell has a text key and an accessible name
    const unnamed = await page
      .locator('[data-thread]')
      .evaluateAll(
        (els) => els.filter((e) => !e.getAttribute('aria-label') || !e.textContent?.trim()).length,
      );
    expect(unnamed).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'node.png'), fullPage: true });
    await page.close();
  });

  it('shows a tenant only its own VMs, in the page and in every answer it receives', async () => {
    const { page, w } = await open(tenantB.token);
    await page.locator('tr[data-vm="b-only"]').waitFor();
    expect(await page.locator('tr[data-vm]').count()).toBe(1);
    await page.goto(`${coord.url}/ui/#/vms/${seedIds[0]}`);
    await page.getByText('VM gone').waitFor();
    await page.goto(`${coord.url}/ui/#/nodes/seed`);
    await page.getByTestId('tenant-summary').waitFor();
    // the probe of A's VM answers 404 (its detail echoes only the id B typed); nothing else names A's VMs
    const probe = w.apiBodies.filter((b) => b.url.includes(seedIds[0]!));
    expect(probe.length).toBeGreaterThan(0);
    expect(new Set(probe.map((b) => b.status))).toEqual(new Set([404]));
    const seen = w.apiBodies
      .filter((b) => !probe.includes(b))
      .map((b) => b.body)
      .join('\n');
    for (const id of seedIds) expect(seen).not.toContain(id);
    for (const vm of SEED_VMS) expect(seen).not.toContain(vm.name);
    expect(w.apiBodies.some((b) => b.url.endsWith('/v1/vms') && b.status === 200)).toBe(true);
    await page.close();
  });

  it('creates a VM from the page with a live dry run, and it turns running without a reload', async () => {
    const { page } = await open(tenantA.token);
    await page.getByRole('link', { name: 'Create', exact: true }).click();
    await page.getByLabel('Name').fill('from-page');
    await page.getByLabel('vCPUs').fill('4');
    await page.getByLabel('Memory (MiB)').fill('2048');
    await page.getByLabel('Disk (GiB)').fill('2');
    await page.getByLabel('Base image').fill('blank');
    expect(await axeViolations(page)).toEqual([]);
    // a tenant's dry run says it fits, without naming the node, its pins or what is free
    await expect
      .poll(() => page.getByTestId('dry-run-decision').innerText())
      .toMatch(/^Would fit: there is room for 4 \w+ vCPUs and 2048 MiB on one NUMA node\.$/);
    expect(await page.getByTestId('dry-run-decision').innerText()).not.toContain('spare');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/#\/vms\//);
    await expect.poll(() => page.getByTestId('vm-state').innerText(), { timeout: 30_000 }).toBe('running');
    // the VM's own events arrived over the stream: claimed, placed, spawning, running
    await expect
      .poll(() => page.getByTestId('vm-events').innerText())
      .toMatch(/vm\.claimed[\s\S]*vm\.running/);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'vm.png'), fullPage: true });
    const vms = (await coord.api('GET', '/v1/vms')).body.vms as { name: string; state: string }[];
    expect(vms.find((v) => v.name === 'from-page')?.state).toBe('running');
    await page.getByRole('link', { name: 'VMs' }).click();
    await page.locator('tr[data-vm="from-page"]').waitFor();
    // stop and start from the VM page; the state follows live
    await page.locator('tr[data-vm="from-page"] a').click();
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.getByTestId('vm-state').innerText(), { timeout: 30_000 }).toBe('stopped');
    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => page.getByTestId('vm-state').innerText(), { timeout: 30_000 }).toBe('running');
    await expect
      .poll(() => page.getByTestId('vm-events').innerText())
      .toMatch(/vm\.power \(.*op=stop[\s\S]*vm\.power \(.*op=start/);
    // destroy asks for the name first, then the VM leaves the list without a reload
    await page.getByRole('button', { name: 'Destroy…' }).click();
    const confirm = page.getByRole('button', { name: 'Destroy for good' });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel('Type from-page to confirm').fill('from-page');
    await confirm.click();
    await page.waitForURL(/#\/vms$/);
    await expect.poll(() => page.locator('tr[data-vm="from-page"]').count()).toBe(0);
    expect(
      (await coord.api('GET', '/v1/vms')).body.vms.some((v: { name: string }) => v.name === 'from-page'),
    ).toBe(false);
    await page.close();
  });

  it('shows the reconnect indicator while offline and turns a killed node down live', async () => {
    const { page } = await open(ADMIN_TOKEN);
    const state = page.getByTestId('reserved-nodes').locator('tr[data-node="spare"] td[data-col="state"]');
    await expect.poll(() => state.innerText()).toBe('ready');
    const live = page.getByTestId('live');
    await expect.poll(() => live.getAttribute('data-state')).toBe('live');
    // a dropped stream shows the reconnect indicator, then resumes
    await page.context().setOffline(true);
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 15_000 }).toBe('reconnecting');
    await page.context().setOffline(false);
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
    await agents.get('spare')!.kill('SIGKILL');
    const killed = Date.now();
    await expect.poll(() => state.innerText(), { timeout: 15_000 }).toBe('down');
    console.info(`fleet page: killed node shown down after ${Date.now() - killed} ms`);
    await page.close();
  });

  it('is readable at phone width without sideways scrolling of the page', async () => {
    const { page } = await open(ADMIN_TOKEN, 390, 844);
    await page.locator('tr[data-node="seed"]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'fleet-phone.png'), fullPage: true });
    await page.close();
  });

  it('made no request outside the coordinator and logged no errors', () => {
    const all = watches.flatMap((w) => w.requests);
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((u) => !u.startsWith(`${coord.url}/`))).toEqual([]);
    // answers the page expects: 401 to the wrong token at sign-in, 404 to the tenant's sign-in probe of
    // GET /v1/nodes (how it learns it is not the admin) and to the tenant opening another tenant's VM
    const expected = new RegExp(
      `status of (401 .* @ ${coord.url}/v1/vms|404 .* @ ${coord.url}/v1/(nodes|vms/${seedIds[0]}))$`,
    );
    const offline = /net::ERR_INTERNET_DISCONNECTED/; // the reconnect check takes the page offline
    const errors = watches.flatMap((w) => w.errors).filter((e) => !expected.test(e) && !offline.test(e));
    expect(errors).toEqual([]);
  });
});
