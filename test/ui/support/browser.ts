import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (scripts/setup.sh installs it when missing). */
export const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const screenshotDir = fileURLToPath(new URL('../../../test-output/ui/', import.meta.url));

export interface TestBrowser {
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions of every page, as text. */
  readonly problems: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

// One real chromium with a fresh profile directory; pages report console errors and page errors.
export async function launchTestBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    args: chromiumArgs,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
  });
  // Fail a missing element in seconds, not playwright's default 30 s.
  context.setDefaultTimeout(10_000);
  const problems: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  };
  for (const page of context.pages()) watch(page);
  context.on('page', watch);
  return {
    context,
    problems,
    async newPage() {
      return context.newPage();
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// Full-page screenshots at 360 px and 1440 px wide into test-output/ui/ (not committed), for people to look at.
export async function captureScreens(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  for (const width of [360, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(screenshotDir, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}
