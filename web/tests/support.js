// What every browser test needs: the real `outbreak serve` on a free
// loopback port with a fresh SQLite database, a headless chromium driven by
// playwright-core, and screenshots. Environment:
//   OUTBREAK_BINARY          the outbreak executable (set by CTest; required)
//   OUTBREAK_CHROMIUM        the browser (default /usr/bin/chromium)
//   OUTBREAK_SCREENSHOT_DIR  where screenshots go (default build/screenshots)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const screenshotDir = path.resolve(repoRoot, process.env.OUTBREAK_SCREENSHOT_DIR || 'build/screenshots');

// Waits until `condition()` returns a truthy value (returned) or the
// deadline passes (throws with `what`).
export async function waitFor(condition, what, timeoutMs = 30000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// Starts `outbreak serve` and resolves when it prints its address:
// {url, stop(), log()}. stop() ends it (SIGTERM, then SIGKILL after 10 s)
// and removes its database.
export async function startServer() {
  const binary = process.env.OUTBREAK_BINARY;
  assert.ok(binary, 'OUTBREAK_BINARY must name the outbreak executable (CTest sets it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbreak-web-'));
  const child = spawn(binary, [
    'serve', '--listen', '127.0.0.1:0', '--database', `sqlite://${dir}/x.db`, '--workers', '1',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let exit = null;
  exited.then((value) => { exit = value; });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });

  const stop = async () => {
    if (!exit) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const match = await waitFor(() => {
      if (exit) throw new Error(`outbreak serve exited (${JSON.stringify(exit)}) before listening:\n${output}`);
      return output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    }, 'outbreak serve to print "listening on http://127.0.0.1:PORT"', 30000);
    return { url: match[1], stop, log: () => output };
  } catch (error) {
    await stop();
    throw error;
  }
}

// A headless chromium. Pages opened through newPage() record uncaught
// script errors and Content-Security-Policy violations in `errors`.
export async function startBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.OUTBREAK_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Running as root (containers, CI) needs --no-sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const errors = [];
  const newPage = async (options = {}) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
    // Anything the server's Content-Security-Policy blocks.
    page.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy')) {
        errors.push(`${page.url()}: ${message.text()}`);
      }
    });
    return page;
  };
  return { browser, newPage, errors, close: () => browser.close() };
}

export async function screenshot(page, name) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Opens `/` with `query` and waits for the generated form.
export async function openForm(page, base, query = '') {
  await page.goto(`${base}/${query ? `?${query}` : ''}`);
  await page.waitForSelector('form[data-ready="true"]');
}

// Submits the form and waits for the results page; returns the id.
export async function submitForm(page) {
  await Promise.all([
    page.waitForURL(/\/simulations\/[^/]+$/),
    page.getByRole('button', { name: 'Run simulation' }).click(),
  ]);
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
}

// Waits until the results page shows a final status; returns it.
export async function waitForFinalStatus(page, timeoutMs = 120000) {
  await page.waitForSelector('body[data-state]', { timeout: timeoutMs });
  return page.getAttribute('body', 'data-state');
}

// axe-core's source, injected into pages by checkAccessibility().
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// Runs axe-core on the page as it is now, against WCAG 2.0, 2.1 and 2.2 at
// levels A and AA, and fails with every violation (rule, impact, the
// elements at fault) if there is any. `what` names the page in the message.
export async function checkAccessibility(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    // Evaluated through the debugging protocol, which the page's
    // Content-Security-Policy does not govern (a script tag would be refused).
    await page.evaluate(axeSource);
  }
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'] },
    resultTypes: ['violations'],
  }));
  const problems = result.violations.map((violation) => {
    const nodes = violation.nodes.slice(0, 5).map((node) => `    ${node.target.join(' ')}: ${node.failureSummary.replaceAll('\n', ' ')}`);
    return `  ${violation.id} (${violation.impact}): ${violation.help}\n${nodes.join('\n')}`;
  });
  assert.equal(problems.length, 0, `accessibility violations on ${what}:\n${problems.join('\n')}`);
}

// Checks the page at 1280 px and at 390 px (a phone) and takes a screenshot
// at each width named `${name}-1280` and `${name}-390`; leaves the page at
// its first width.
export async function checkBothWidths(page, name) {
  const original = page.viewportSize();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    // Charts follow their box through a ResizeObserver: give it a frame.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await checkAccessibility(page, `${name} at ${width} px`);
    await screenshot(page, `${name}-${width}`);
  }
  if (original) await page.setViewportSize(original);
}
