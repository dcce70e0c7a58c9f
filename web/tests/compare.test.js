// Two runs, contact tracing on and off, picked under "My simulations" and
// compared: one line each, and the parameters that differ.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  openForm, screenshot, startBrowser, startServer, submitForm, waitFor, waitForFinalStatus,
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

async function run(page, query, name) {
  await openForm(page, server.url, `population=50000&days=150&name=${encodeURIComponent(name)}${query}`);
  const id = await submitForm(page);
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  return id;
}

test('two runs side by side', async () => {
  const page = await browser.newPage();
  const off = await run(page, '', 'no tracing');
  const on = await run(page, '&contact_tracing=true', 'tracing');

  await openForm(page, server.url);
  for (const name of ['no tracing', 'tracing']) {
    await page.getByRole('checkbox', { name: `Compare ${name}`, exact: true }).check();
  }
  const link = page.getByRole('link', { name: 'Compare selected (2)' });
  await Promise.all([page.waitForURL(/\/compare\?/), link.click()]);
  const ids = new URL(page.url()).searchParams.get('ids').split(',');
  assert.deepEqual(ids.sort(), [off, on].sort());

  await page.waitForSelector('body[data-state="ready"]');
  assert.equal(await page.getAttribute('#compare-chart', 'data-series'), '2');
  const legend = await page.locator('#compare-chart .chart-legend li').allTextContents();
  assert.equal(legend.length, 2);
  assert.ok(legend.some((text) => text.startsWith('no tracing')), legend.join(' | '));
  assert.ok(legend.some((text) => text.startsWith('tracing')), legend.join(' | '));

  // Only contact tracing (and the name, which is not a parameter) differs.
  const rows = await page.locator('#differences tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.parameter));
  assert.deepEqual(rows, ['contact_tracing']);
  const cells = await page.locator('#differences tbody tr td').allTextContents();
  assert.deepEqual(cells.sort(), ['off', 'on']);

  await page.getByLabel('Metric').selectOption('total_infected');
  await waitFor(() => page.evaluate(() => new URLSearchParams(window.location.search).get('metric') === 'total_infected'),
    'the metric in the address', 5000);
  assert.match(await page.locator('#compare-summary').textContent(), /^Total infected per day/);
  await screenshot(page, 'compare');

  // The model's newer outputs are offered too.
  const offered = await page.locator('#metric option').evaluateAll((options) => options.map((o) => o.value));
  for (const metric of ['hospitalized', 'critical', 'new_hospitalizations', 'new_deaths', 'r_t', 'infections_school',
    'tests', 'positive_tests', 'isolating', 'quarantined', 'traced_contacts', 'vaccinated']) {
    assert.ok(offered.includes(metric), `${metric} offered: ${offered.join(', ')}`);
  }
  await page.getByLabel('Metric').selectOption('hospitalized');
  assert.match(await page.locator('#compare-summary').textContent(), /^In hospital per day/);
  await page.getByLabel('Metric').selectOption('r_t');
  await waitFor(() => page.evaluate(() => new URLSearchParams(window.location.search).get('metric') === 'r_t'),
    'the metric in the address', 5000);
  assert.match(await page.locator('#compare-summary').textContent(), /^Reproduction number R_t per day/);
  const rtLegend = await page.locator('#compare-chart .chart-legend li').allTextContents();
  assert.ok(rtLegend.some((text) => text.startsWith('R = 1')), rtLegend.join(' | '));
  // R_t values are ratios: "1.23 (day 5)", not whole counts.
  assert.ok(rtLegend.some((text) => /\d\.\d\d \(day \d+\)/.test(text)), rtLegend.join(' | '));
  await screenshot(page, 'compare-rt');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('a comparison without ids explains how to make one', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/compare`);
  await page.locator('#empty').waitFor();
  assert.match(await page.locator('#empty').textContent(), /My simulations/);
  assert.equal(await page.locator('#comparison').isVisible(), false);
  await page.close();
});
