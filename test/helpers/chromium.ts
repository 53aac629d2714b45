/**
 * Debian's chromium, driven headless by playwright-core (which ships no browser of its own), for
 * the status page tests. A fresh launch gets a new empty profile; the flags keep it from calling
 * home (component updates, sync, QUIC probes) so the test sees only the page's own requests.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { toolSkip } from './deploy.js';

/** The browser binary (Debian's path; CHROMIUM overrides). */
export const CHROMIUM_BIN = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Where tests keep what a person should look at afterwards (repo-relative `test-artifacts/`, git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

/**
 * The `skip` option for browser tests: a reason when chromium is missing, except under CI=true,
 * where a missing browser must fail the test rather than hide it.
 */
export function chromiumSkip(): string | false {
  return toolSkip(CHROMIUM_BIN, 'apt-get install chromium');
}

/** Launches headless chromium; the caller closes it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_BIN)) throw new Error(`${CHROMIUM_BIN} is missing (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The absolute path of artifact `name`, its directory created. */
export function artifactPath(name: string): string {
  const path = join(ARTIFACTS_DIR, name);
  mkdirSync(dirname(path), { recursive: true });
  return path;
}
