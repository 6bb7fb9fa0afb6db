import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Why the browser suites skip on this machine, or false. Chromium is
 * optional locally; CI sets TEST_REQUIRE_CHROMIUM=1, and then a missing
 * browser fails the suite instead of skipping it.
 */
export function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  if (process.env['TEST_REQUIRE_CHROMIUM'] === '1') {
    throw new Error(`TEST_REQUIRE_CHROMIUM=1 but ${CHROMIUM_PATH} is missing (apt-get install chromium)`);
  }
  return `browser suite skipped: ${CHROMIUM_PATH} is missing (set TEST_REQUIRE_CHROMIUM=1 to fail instead)`;
}

/** Headless Chromium with a fresh profile, closed (and its profile removed) by `close()`. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
