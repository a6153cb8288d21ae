import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';

/** CHROMIUM is Debian's Chromium, installed by scripts/host-deps.sh (no browser download). */
export const CHROMIUM = process.env.VMPOOL_CHROMIUM ?? '/usr/bin/chromium';

/** launchChromium starts headless Chromium with no background traffic (playwright gives it a fresh profile). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/host-deps.sh as root`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/** PageWatch is what a page did: every request URL, console errors, page errors and /v1 answers. */
export interface PageWatch {
  requests: string[];
  errors: string[];
  apiBodies: { url: string; status: number; body: string }[];
}

/** watchPage records requests, console errors and /v1 response bodies from the moment it is called. */
export function watchPage(page: Page): PageWatch {
  const w: PageWatch = { requests: [], errors: [], apiBodies: [] };
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on('response', async (r) => {
    if (!new URL(r.url()).pathname.startsWith('/v1/') || r.url().includes('/v1/events')) return;
    w.apiBodies.push({ url: r.url(), status: r.status(), body: await r.text().catch(() => '') });
  });
  return w;
}

/** signIn opens the page and signs in with a token, waiting for the signed-in shell. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Admin or tenant token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
}

/** AxeViolation is one failed axe-core rule with the elements it failed on. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: string[];
}

/**
 * axeViolations runs axe-core's WCAG 2.x A and AA rules on the page as it is now. The engine goes in
 * through the DevTools protocol, so the page's CSP (no inline or foreign script) stays as served.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const r = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: Document, o: object) => Promise<AxeResult> } })
      .axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] },
    });
    return {
      passes: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.map((n) => n.html.slice(0, 120)),
      })),
    };
  });
  // an engine that checked nothing would pass anything: make sure rules ran
  if (r.passes < 5) throw new Error(`axe-core ran only ${r.passes} passing rules: is the page empty?`);
  return r.violations;
}

type AxeResult = {
  passes: unknown[];
  violations: { id: string; impact: string | null; nodes: { html: string }[] }[];
};
