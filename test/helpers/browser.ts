import { existsSync } from 'node:fs';
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
