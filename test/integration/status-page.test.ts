import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { artifactPath, chromiumSkip, launchChromium } from '../helpers/chromium.js';
import { startFaultReceiver } from '../helpers/fault-receiver.js';
import { startOutpostProcess, waitForStatus } from '../helpers/outpost-process.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('status page in headless Chromium', { skip: chromiumSkip() }, () => {
  it('renders online, saves a screenshot, and turns offline-buffering by itself when the receiver answers 503', { timeout: 90_000 }, async (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const receiver = await startFaultReceiver();
    t.after(() => receiver.close());
    const outpost = await startOutpostProcess({
      OUTPOST_DATA_DIR: dir.path,
      OUTPOST_REMOTE_WRITE_URL: receiver.url,
      OUTPOST_WAL_COMMIT_INTERVAL: '200ms',
      OUTPOST_QUEUE_BATCH_SEND_DEADLINE: '500ms',
      OUTPOST_QUEUE_MIN_BACKOFF: '200ms',
      OUTPOST_QUEUE_MAX_BACKOFF: '1s',
      OUTPOST_HOST_METRICS_INTERVAL: '1s',
    });
    t.after(async () => {
      outpost.child.kill('SIGKILL');
      await outpost.exited;
    });
    const base = `http://127.0.0.1:${outpost.port}`;
    await waitForStatus(`${base}/-/ready`, 200);
    await receiver.waitForRequests(1);

    const browser = await launchChromium();
    t.after(() => browser.close());
    // A phone: 390 × 844 CSS pixels at twice the density.
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => { if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:')) foreign.push(r.url()); });

    const response = await page.goto(base + '/');
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-type'] ?? '', /^text\/html/);
    // Waits go through locators: the page's CSP (rightly) forbids the eval of string predicates.
    await page.locator('#state', { hasText: /^online$/ }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.endpoint .badge').textContent(), 'online');
    assert.equal(await page.locator('.endpoint h2').textContent(), `remote-write-1 ${receiver.url}`);
    // A chart needs two points and the history takes one every 15 s (bandwidth, a difference of
    // two, needs three): the page's own refreshes draw them, without a reload.
    await page.locator('.endpoint svg').nth(2).waitFor({ timeout: 30_000 });
    const width = await page.locator('html').evaluate((html) => (html as unknown as { scrollWidth: number }).scrollWidth);
    assert.ok(width <= 390, `fits a phone screen without sideways scrolling (${width} px)`);
    const online = artifactPath('status-page-online.png');
    await page.screenshot({ path: online, fullPage: true });
    console.log(`status page screenshot (online): ${online}`);

    receiver.setMode({ kind: 'status', status: 503, body: 'receiver down for the test' });
    const switched = Date.now();
    await page.locator('#state', { hasText: /^offline-buffering$/ }).waitFor({ timeout: 30_000 });
    console.log(`page showed offline-buffering ${((Date.now() - switched) / 1000).toFixed(1)} s after the receiver turned to 503, without a reload`);
    assert.match((await page.locator('.endpoint .error').textContent()) ?? '', /503/);
    assert.equal(await page.locator('#overall').getAttribute('data-state'), 'offline-buffering');
    const offline = artifactPath('status-page-offline.png');
    await page.screenshot({ path: offline, fullPage: true });
    console.log(`status page screenshot (offline-buffering): ${offline}`);

    assert.deepEqual(problems, [], 'no script error or CSP violation');
    assert.deepEqual(foreign, [], 'no request leaves the gateway');
  });
});
