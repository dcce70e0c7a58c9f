// The results page: live charts while the run goes on, the same data after
// a reload, the CSV download, hospital occupancy with a capacity line, R_t,
// totals by age, the line list, several runs, cancel, and an unknown id.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import {
  openForm, screenshot, startBrowser, startServer, submitForm, waitFor, waitForFinalStatus,
} from './support.js';

// The largest population the server accepts by default: with contact
// tracing, such a run takes about 9 s on two cores (most of it around the
// peak), so the page is seen while days are still arriving even on a much
// faster machine.
const LIVE_POPULATION = 10000000;
const LIVE_DAYS = 300;

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

const points = (page) => page.getAttribute('#epidemic-chart', 'data-points').then(Number);
const progress = (page) => page.getAttribute('#progress', 'aria-valuenow').then(Number);

test('a run is charted while it runs, looks the same after a reload, and downloads as CSV', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, `population=${LIVE_POPULATION}&days=${LIVE_DAYS}&name=live&contact_tracing=true`);
  const id = await submitForm(page);
  await page.waitForSelector('#simulation:not([hidden])');
  assert.equal(await page.locator('#sim-name').textContent(), 'live');

  // Two observations while the run is in progress: more days each time.
  const first = await waitFor(async () => {
    const n = await points(page);
    return n > 0 && n < LIVE_DAYS + 1 ? n : 0;
  }, 'the first days on the chart', 60000);
  assert.equal(await page.getAttribute('#progress', 'data-status'), 'running');
  const firstProgress = await progress(page);
  const second = await waitFor(async () => {
    const n = await points(page);
    return n > first ? n : 0;
  }, 'more days on the chart', 60000);
  assert.ok(second > first, `${second} points after ${first}`);
  assert.ok(await progress(page) >= firstProgress);
  // A picture of the page in mid-run, once the curves have some length.
  await waitFor(async () => (await points(page)) > 120 || page.locator('body[data-state]').count(),
    'a longer stretch of the run', 60000);
  await screenshot(page, 'simulation-running');
  // The stream sends each day before its R_t is known; while the run goes
  // on, the page reads the R_t values the worker has stored since.
  const rt = await waitFor(async () => {
    if (await page.locator('body[data-state]').count()) return 'finished first';
    return Number(await page.getAttribute('#rt-chart', 'data-known')) > 0 ? 'known while running' : '';
  }, 'R_t values while the run goes on (or its end)', 60000);
  assert.ok(rt === 'known while running' || rt === 'finished first', rt);

  assert.equal(await waitForFinalStatus(page), 'succeeded');
  assert.equal(await points(page), LIVE_DAYS + 1);
  assert.equal(await progress(page), 100);
  assert.equal(await page.locator('#cancel').isVisible(), false);
  const figures = await page.locator('#figures').textContent();
  assert.match(figures, /Peak currently infected/);
  assert.match(figures, /Attack rate/);
  assert.match(await page.locator('#scenario-table').textContent(), /Contact tracing\s*on/);
  const edit = new URL(await page.getAttribute('#edit-link', 'href'), server.url);
  assert.equal(edit.searchParams.get('population'), String(LIVE_POPULATION));
  assert.equal(edit.searchParams.get('contact_tracing'), 'true');
  await screenshot(page, 'simulation');

  // The page's address alone brings back the same data.
  await page.reload();
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  assert.equal(await points(page), LIVE_DAYS + 1);
  assert.equal(await page.locator('#figures').textContent(), figures);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), new RegExp(`^live-${id.slice(0, 8)}\\.csv$`));
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  // The columns of the first version first, newer ones after them; the
  // columns the JSON results name, then any of the CSV's own (the active
  // timeline items).
  assert.ok(csv[0].startsWith('day,susceptible,exposed,infectious,symptomatic,currently_infected,isolated,recovered,dead,total_infected,new_infections,infections_home,infections_work,infections_community,hospitalized,critical,new_hospitalizations,new_deaths,r_t,infections_school'), csv[0]);
  const json = await (await fetch(`${server.url}/api/v1/simulations/${id}/results?format=json`)).json();
  assert.ok(`${csv[0]},`.startsWith(`${json.columns.join(',')},`), csv[0]);
  assert.equal(csv.length, 1 + LIVE_DAYS + 1);

  // The form remembers the run under "My simulations".
  await openForm(page, server.url);
  const row = page.locator(`.mine-list [data-id="${id}"]`);
  await waitFor(async () => (await row.textContent()).includes('Succeeded'), 'the run listed as succeeded', 10000);
  assert.match(await row.textContent(), /live/);
  await screenshot(page, 'form-my-simulations');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('hospital occupancy with a capacity line, R_t, infections by route, totals by age and the line list', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'population=20000&days=120&name=severity');
  const id = await submitForm(page);
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  const results = await (await fetch(`${server.url}/api/v1/simulations/${id}/results?format=json`)).json();
  const days = results.replicates[0].days;

  // Hospital and critical-care occupancy.
  const hospitalLegend = await page.locator('#hospital-chart .chart-legend li').allTextContents();
  assert.ok(hospitalLegend.some((text) => text.startsWith('In hospital')), hospitalLegend.join(' | '));
  assert.ok(hospitalLegend.some((text) => text.startsWith('In critical care')), hospitalLegend.join(' | '));
  assert.equal(await page.locator('#hospital-chart canvas').count(), 1);
  const peak = Math.max(...days.map((day) => day.hospitalized));
  assert.ok(peak > 0, 'some agents went to hospital');
  assert.match(await page.locator('#hospital-summary').textContent(), new RegExp(`peaked at ${peak.toLocaleString('en-US')} on day`));
  assert.equal(await page.getAttribute('#hospital-chart', 'data-capacity'), null);

  // R_t, with its reference line at 1; every value the results know is on
  // the chart, however late it became known.
  const rtLegend = await page.locator('#rt-chart .chart-legend li').allTextContents();
  assert.ok(rtLegend.some((text) => text.startsWith('R_t')), rtLegend.join(' | '));
  assert.ok(rtLegend.some((text) => text.startsWith('R = 1')), rtLegend.join(' | '));
  const knownRt = days.filter((day) => day.r_t !== null && day.r_t !== undefined).length;
  assert.ok(knownRt > 0, 'R_t is known for some days');
  assert.equal(Number(await page.getAttribute('#rt-chart', 'data-known')), knownRt);
  assert.match(await page.locator('#rt-summary').textContent(), /known for \d+ days/);

  // Infections by route, school included.
  assert.match(await page.locator('#route-shares').textContent(), /School: /);
  assert.ok((await page.locator('#routes-chart .chart-legend li').allTextContents()).some((text) => text.startsWith('School')));

  // Totals by age: a row per band, with the IFR.
  const bands = await page.locator('#age-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('th').textContent));
  assert.deepEqual(bands, ['0-9', '10-19', '20-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80+']);
  const headings = await page.locator('#age-table thead th').allTextContents();
  assert.deepEqual(headings, ['Age', 'Agents', 'Infected', 'Hospitalized', 'Critical care', 'Dead', 'IFR']);
  const sim = await (await fetch(`${server.url}/api/v1/simulations/${id}`)).json();
  assert.equal(sim.age_totals?.replicates?.length, 1, 'the document has age_totals of one run');
  const agents = await page.locator('#age-table tfoot td').first().textContent();
  assert.equal(agents, (20000).toLocaleString('en-US'), 'the bands add up to the population');

  // A capacity draws a line, is kept in the address and survives a reload.
  await page.getByLabel(/^Capacity/).fill('5');
  await waitFor(() => page.evaluate(() => new URLSearchParams(window.location.search).get('capacity') === '5'),
    'the capacity in the address', 5000);
  assert.equal(await page.getAttribute('#hospital-chart', 'data-capacity'), '5');
  assert.ok((await page.locator('#hospital-chart .chart-legend li').allTextContents()).some((text) => text.startsWith('Capacity (5 beds)')));
  assert.match(await page.locator('#hospital-summary').textContent(), /capacity of 5 beds/);
  await screenshot(page, 'simulation-hospital');
  await page.reload();
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  assert.equal(await page.getByLabel(/^Capacity/).inputValue(), '5');
  assert.equal(await page.getAttribute('#hospital-chart', 'data-capacity'), '5');
  await page.getByLabel(/^Capacity/).fill('');
  await waitFor(() => page.evaluate(() => !new URLSearchParams(window.location.search).has('capacity')),
    'the capacity gone from the address', 5000);
  assert.equal(await page.getAttribute('#hospital-chart', 'data-capacity'), null);

  // The line list: one row per infection.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Line list (CSV)' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  const total = days[days.length - 1].total_infected;
  assert.equal(lines.length, 1 + total, 'a header and a row per infection');
  assert.equal(await page.locator('#line-list-error').isVisible(), false);

  // A refusal (here staged: too large) is shown, not downloaded.
  await page.route('**/line-list*', (route) => route.fulfill({
    status: 413,
    contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'too_large', message: 'The line list has too many rows for this server.', fields: [] } }),
  }));
  await page.getByRole('link', { name: 'Line list (CSV)' }).click();
  const refusal = page.locator('#line-list-error');
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /too many rows for this server/);
  await screenshot(page, 'simulation-line-list-refused');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('several runs: a mean with a 5-95% band once done', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'population=20000&days=120&replicates=4&name=four+runs');
  await submitForm(page);
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  assert.match(await page.locator('#figures-basis').textContent(), /mean of 4 runs/);
  // Five measures, each a mean and two percentile lines.
  assert.equal(await page.getAttribute('#epidemic-chart', 'data-series'), '15');
  assert.equal(await page.locator('#epidemic-chart .chart-legend li').count(), 5);
  // The hospital chart too: two measures with their bands.
  assert.equal(await page.getAttribute('#hospital-chart', 'data-series'), '6');
  assert.match(await page.locator('#age-basis').textContent(), /mean of 4 runs/);
  await screenshot(page, 'simulation-replicates');

  // The same page on a phone: nothing wider than the screen.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.goto(page.url());
  assert.equal(await waitForFinalStatus(phone), 'succeeded');
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await screenshot(phone, 'simulation-phone');
  assert.deepEqual(browser.errors, []);
  await phone.close();
  await page.close();
});

test('a running simulation can be cancelled', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, `population=${LIVE_POPULATION}&days=${LIVE_DAYS}&name=to+cancel`);
  await submitForm(page);
  await page.waitForSelector('#progress[data-status="running"]', { timeout: 60000 });
  await waitFor(async () => (await points(page)) > 10, 'some days on the chart', 60000);
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await waitForFinalStatus(page), 'cancelled');
  assert.match(await page.locator('#progress-text').textContent(), /Cancelled at day \d+/);
  // The days computed before the cancel stay on the chart; the rest never come.
  const kept = await points(page);
  assert.ok(kept > 10 && kept < LIVE_DAYS + 1, `${kept} days kept`);
  assert.equal(await page.locator('#cancel').isVisible(), false);
  await screenshot(page, 'simulation-cancelled');
  await page.close();
});

test('an unknown id says so', async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${server.url}/simulations/no-such-simulation`);
  assert.equal(response.status(), 404);
  const notFound = page.locator('#not-found');
  await notFound.waitFor();
  assert.match(await notFound.textContent(), /No simulation with id\s+no-such-simulation/);
  assert.equal(await page.locator('#simulation').isVisible(), false);
  await screenshot(page, 'simulation-not-found');
  await page.close();
});
