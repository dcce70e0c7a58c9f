// What the pages share: the HTML "page not found" for browsers (with the
// JSON error kept for API clients), the compare page reached from the
// header with nothing picked yet, and runs without a name of their own
// shown by what their scenario changes, on the results page and in "My
// simulations".

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  checkBothWidths, openForm, startBrowser, startServer, submitForm, waitForFinalStatus,
} from './support.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a browser asking for a page that does not exist gets an HTML page; an API client gets JSON', async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${server.url}/nope`);
  assert.equal(response.status(), 404);
  assert.match(response.headers()['content-type'], /^text\/html/);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Page not found');
  await checkBothWidths(page, 'not-found');
  // Its link leads back to the form.
  await Promise.all([page.waitForURL(`${server.url}/`), page.getByRole('link', { name: 'Start a new simulation' }).click()]);
  await page.waitForSelector('form[data-ready="true"]');

  const api = await fetch(`${server.url}/nope`, { headers: { Accept: 'application/json' } });
  assert.equal(api.status, 404);
  assert.equal((await api.json()).error.code, 'not_found');
  const apiPath = await fetch(`${server.url}/api/v1/nope`, { headers: { Accept: 'text/html' } });
  assert.equal(apiPath.status, 404);
  assert.match(apiPath.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('the compare page opened from the header, with nothing picked, says how to pick runs', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  await Promise.all([page.waitForURL(/\/compare/), page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compare' }).click()]);
  await page.waitForSelector('#comparison, main');
  await page.waitForFunction(() => !document.body.textContent.includes('Loading'));
  assert.match(await page.locator('main').textContent(), /Pick the simulations to compare: tick them under “My simulations”/);
  await checkBothWidths(page, 'compare-empty');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('a run without a name is shown by what its scenario changes, on its page and in "My simulations"', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'population=3000&days=10&contact_tracing=true');
  await submitForm(page);
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  const heading = await page.locator('#sim-name').textContent();
  assert.match(heading, /^contact tracing, 10 days, 3k$/);
  assert.match(await page.title(), /^contact tracing, 10 days, 3k · outbreak$/);
  // The files keep the server's name for it.
  assert.match(await page.getAttribute('#download-json', 'href'), /download=1/);

  await openForm(page, server.url);
  const listed = page.locator('#my-simulations li');
  await listed.first().waitFor();
  assert.match(await listed.first().textContent(), /contact tracing, 10 days, 3k/);
  assert.deepEqual(browser.errors, []);
  await page.close();
});
