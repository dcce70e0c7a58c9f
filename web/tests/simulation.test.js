// The results page: live charts while the run goes on, the same data after
// a reload, the CSV download, hospital occupancy with a capacity line, R_t,
// totals by age, the line list, several runs (the mean and band over the
// completed runs while they compute, a cancel at run k with its partial
// summary), the still-spreading state with "run longer", a lost connection
// and a restarted job, the render time of a large finished run, and an
// unknown id.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  checkBothWidths, openForm, screenshot, startBrowser, startServer, submitForm, waitFor, waitForFinalStatus,
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
  // Elapsed time ticks while it runs.
  const elapsed = await page.locator('#progress-time').textContent();
  assert.match(elapsed, /^Elapsed \d+ (s|min)/);
  if (!(await page.locator('body[data-state]').count())) {
    await waitFor(async () => (await page.locator('#progress-time').textContent()) !== elapsed
      || page.locator('body[data-state]').count(), 'the elapsed time to tick', 10000);
    await checkBothWidths(page, 'simulation-state-running');
  }
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
  assert.match(await page.locator('#progress-time').textContent(), /^Ran for \d+ (s|min)/);
  await checkBothWidths(page, 'simulation-state-finished');

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
  // The JSON under the same name.
  const [jsonDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download JSON' }).click(),
  ]);
  assert.equal(jsonDownload.suggestedFilename(), `live-${id.slice(0, 8)}.json`);
  assert.equal(await page.getAttribute('#download-json', 'href'), `/api/v1/simulations/${id}/results?format=json&download=1`);

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
  // Key figures with their 5-95% ranges; the band explained under the chart.
  assert.match(await page.locator('#figures').textContent(), /5–95%: [\d,]+–[\d,]+ people/);
  assert.match(await page.locator('#epidemic-bands').textContent(), /mean number of people in each state over 4 runs\. Shaded band: the 5th to 95th percentile/);
  assert.match(await page.locator('#routes-bands').textContent(), /over 4 runs/);
  assert.equal(await page.getAttribute('#routes-chart', 'data-series'), '12');
  const legend = await page.locator('#epidemic-chart .chart-legend').textContent();
  assert.match(legend, /Total infected \(cumulative\)/);
  assert.match(legend, /Dead \(cumulative\)/);
  // Five measures, each a mean and two percentile lines.
  assert.equal(await page.getAttribute('#epidemic-chart', 'data-series'), '15');
  assert.equal(await page.locator('#epidemic-chart .chart-legend li.legend-series').count(), 5);
  // The band's legend entry, given by the page.
  assert.equal(await page.locator('#epidemic-chart .chart-legend li.legend-band').textContent(), '5th–95th percentile over 4 runs');
  assert.equal(await page.locator('#routes-chart .chart-legend li.legend-band').textContent(), '5th–95th percentile over 4 runs');
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
  // The page asks first; "Keep running" leaves it running.
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel this simulation?' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /the days computed so far are kept/);
  await page.getByRole('button', { name: 'Keep running' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.getAttribute('#progress', 'data-status'), 'running');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await page.getByRole('button', { name: 'Cancel the simulation' }).click();
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

test('several runs: while they compute, the figures and band cover the completed runs; a cancel at run k keeps a partial summary', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'population=2000000&days=150&replicates=20&name=many+runs');
  const id = await submitForm(page);
  // Two or more runs complete and the next one computing: the key figures,
  // the legend and the caption all speak of the same completed runs.
  const live = await waitFor(() => page.evaluate(() => {
    // The page may not have drawn its chart (or figures) yet: wait for them.
    const basis = document.getElementById('figures-basis')?.textContent ?? '';
    const match = basis.match(/mean of (\d+) completed runs/);
    const legend = document.querySelector('#epidemic-chart .chart-legend')?.textContent ?? '';
    if (!match || !legend.includes('(running)')) return null;
    return {
      complete: Number(match[1]),
      legend,
      caption: document.getElementById('epidemic-bands').textContent,
      figures: document.getElementById('figures').textContent,
    };
  }), 'two completed runs and a third computing', 120000);
  assert.ok(live.complete >= 2 && live.complete < 20, JSON.stringify(live));
  assert.match(live.legend, new RegExp(`run ${live.complete + 1} \\(running\\)`));
  assert.match(live.caption, new RegExp(`over ${live.complete} completed runs\\..*run ${live.complete + 1}, still being computed, which is not in the mean`));
  assert.match(live.figures, /5–95%/);
  // Elapsed time, and the time left once the page has seen the runs advance.
  const timing = await waitFor(async () => {
    const text = await page.locator('#progress-time').textContent();
    return / · about \d+ (s|min)/.test(text) ? text : null;
  }, 'an estimate of the time left', 30000);
  assert.match(timing, /^Elapsed \d+ (s|min)[\d a-z]* · about \d+ (s|min)[\d a-z]* left$/);
  await checkBothWidths(page, 'simulation-state-replicates-running');

  // Another job waits behind this one: its page says where it stands, and
  // cancelling it asks first too.
  const queued = await browser.newPage();
  await openForm(queued, server.url, 'population=1000&days=10&name=waiting');
  await submitForm(queued);
  await queued.waitForSelector('#progress[data-status="queued"]');
  assert.match(await queued.locator('#progress-text').textContent(), /^0% · Queued: next in line for a worker\.$/);
  assert.match(await queued.locator('#progress-time').textContent(), /^Waiting for (less than a second|\d+ s)$/);
  await checkBothWidths(queued, 'simulation-state-queued');
  await queued.getByRole('button', { name: 'Cancel', exact: true }).click();
  assert.match(await queued.getByRole('dialog').textContent(), /It has not started yet; nothing will be computed\./);
  await queued.getByRole('button', { name: 'Cancel the simulation' }).click();
  assert.equal(await waitForFinalStatus(queued), 'cancelled');
  assert.match(await queued.locator('#progress-text').textContent(), /Cancelled before it started\./);
  await queued.close();

  // Cancel with the keyboard: the dialog opens on "Keep running"; Escape
  // keeps the run going; Tab and Enter confirm.
  await page.locator('#cancel').focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Cancel this simulation?' });
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cancel-keep');
  assert.match(await dialog.textContent(), /of 20 (is|are) complete and will be kept/);
  await screenshot(page, 'simulation-cancel-dialog');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cancel');
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cancel-confirm');
  await page.keyboard.press('Enter');
  assert.equal(await waitForFinalStatus(page), 'cancelled');
  const progressText = await page.locator('#progress-text').textContent();
  const k = Number(progressText.match(/Cancelled at run (\d+) of 20, day \d+/)?.[1]);
  assert.ok(k > live.complete && k <= 20, progressText);

  // The summary over the complete runs, marked partial; run k not mixed in.
  const basis = await page.locator('#figures-basis').textContent();
  const complete = Number(basis.match(/partial: mean of the (\d+) complete runs of 20/)?.[1]);
  assert.ok(complete >= live.complete && complete < k + 1 && complete < 20, basis);
  assert.match(await page.locator('#epidemic-bands').textContent(),
    new RegExp(`over ${complete} complete runs \\(partial: the incomplete run is left out\\)`));
  assert.doesNotMatch(await page.locator('#epidemic-chart .chart-legend').textContent(), /running|incomplete/);
  assert.equal(await page.getAttribute('#epidemic-chart', 'data-series'), '15');
  assert.match(await page.locator('#figures').textContent(), /5–95%/);
  await checkBothWidths(page, 'simulation-state-cancelled-partial');
  // Its CSV says it is partial.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `many_runs-${id.slice(0, 8)}-partial.csv`);

  // The same after a reload, which reads the summary instead of every day.
  const figures = await page.locator('#figures').textContent();
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.reload();
  assert.equal(await waitForFinalStatus(page), 'cancelled');
  assert.equal(await page.locator('#figures').textContent(), figures);
  assert.equal(await page.locator('#figures-basis').textContent(), basis);
  assert.ok(!requests.some((url) => url.includes('/events')), 'a finished page does not replay the stream');
  assert.ok(requests.some((url) => url.includes(`${id}/results?format=json&part=summary`)), requests.join('\n'));
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('a run cut off while still spreading says so and offers to run longer', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'population=20000&days=30&name=short');
  await submitForm(page);
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  const spreading = page.locator('#spreading');
  assert.equal(await spreading.getAttribute('data-state'), 'spreading');
  assert.match(await spreading.textContent(), /^Still spreading at the end: new infections in the last 7 of the 30 days, so the totals are not final\. Run longer \(60 days\)$/);
  assert.match(await page.locator('#figures').textContent(), /Attack rate[\d.]+%not final/);
  // Still rising on the last days: the peak so far is not the peak.
  assert.match(await page.locator('#figures').textContent(), /Peak currently infected[\d,]+not finalpeople, on day (2[3-9]|30)/);
  assert.match(await page.locator('#epidemic-summary').textContent(), /still spreading/);
  // One run: no ranges, and no band to explain.
  assert.doesNotMatch(await page.locator('#figures').textContent(), /5–95%/);
  assert.equal(await page.locator('#epidemic-bands').textContent(), '');
  assert.match(await page.locator('#progress-text').textContent(), /Done: 30 days\./);
  await checkBothWidths(page, 'simulation-state-still-spreading');
  await Promise.all([page.waitForURL(/\/\?/), page.getByRole('link', { name: 'Run longer (60 days)' }).click()]);
  await page.waitForSelector('form[data-ready="true"]');
  assert.equal(await page.locator('[name="days"]').inputValue(), '60');
  assert.equal(await page.locator('[name="population"]').inputValue(), '20000');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

// ---- servers of our own: a restart on the same database and port, and
// larger limits ----

function spawnOutbreak(args, env = {}) {
  const child = spawn(process.env.OUTBREAK_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  let exit = null;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    exit = { code, signal };
    resolve(exit);
  }));
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => { output += chunk; });
  }
  return {
    child,
    exited,
    output: () => output,
    async listening() {
      const match = await waitFor(() => {
        if (exit) throw new Error(`outbreak exited (${JSON.stringify(exit)}):\n${output}`);
        return output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      }, 'outbreak serve to listen', 30000);
      return match[1];
    },
    async kill(signal = 'SIGKILL') {
      if (!exit) {
        child.kill(signal);
        await exited;
      }
    },
  };
}

test('a lost connection shows a banner until it is back; a job restarted after its worker stopped says so', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbreak-restart-'));
  const database = `sqlite://${dir}/x.db`;
  const processes = [];
  const start = (args) => {
    const p = spawnOutbreak(args);
    processes.push(p);
    return p;
  };
  const page = await browser.newPage();
  try {
    // The API on its own, the job in a worker with a short lease, so that a
    // new worker takes the job over soon after the first one is killed.
    const first = start(['serve', '--listen', '127.0.0.1:0', '--database', database, '--workers', '0']);
    const url = await first.listening();
    const port = new URL(url).port;
    const worker = start(['worker', '--database', database, '--lease-seconds', '2', '--poll-seconds', '0.2']);
    await openForm(page, url, `population=${LIVE_POPULATION}&days=150&name=restarted`);
    await submitForm(page);
    await waitFor(async () => (await points(page)) > 5, 'the first days of attempt 1', 60000);
    assert.equal(await page.locator('#connection').isVisible(), false);
    assert.equal(await page.locator('#restart-note').isVisible(), false);

    // Server and worker gone: the banner, while the browser retries.
    await Promise.all([first.kill(), worker.kill()]);
    await page.locator('#connection').waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await page.locator('#connection').textContent(), 'Connection lost; reconnecting…');
    await checkBothWidths(page, 'simulation-state-connection-lost');

    // Back on the same port and database: the banner goes.
    const second = start(['serve', '--listen', `127.0.0.1:${port}`, '--database', database, '--workers', '0']);
    await second.listening();
    await page.locator('#connection').waitFor({ state: 'hidden', timeout: 30000 });
    // A new worker reaps the expired lease and runs the job again.
    start(['worker', '--database', database, '--lease-seconds', '2', '--poll-seconds', '0.2']);
    const note = page.locator('#restart-note');
    await note.waitFor({ state: 'visible', timeout: 60000 });
    assert.match(await note.textContent(), /^Restarted after its worker stopped: attempt 2( of \d+)?\. Progress is that of this attempt\.$/);
    await checkBothWidths(page, 'simulation-state-restarted');
    assert.equal(await waitForFinalStatus(page, 180000), 'succeeded');
    // The days of the first attempt are gone: one row per day.
    assert.equal(await points(page), 151);
    assert.match(await note.textContent(), /ended in attempt 2/);
    assert.deepEqual(browser.errors, []);
  } finally {
    await page.close();
    for (const p of processes) await p.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the finished page of 100 runs of 3,650 days renders in under a second', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbreak-large-'));
  const big = spawnOutbreak(['serve', '--listen', '127.0.0.1:0', '--database', `sqlite://${dir}/x.db`, '--workers', '1'],
    { OUTBREAK_MAX_ROWS_PER_JOB: '365000' });
  try {
    const url = await big.listening();
    const created = await (await fetch(`${url}/api/v1/simulations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'large', scenario: { population: 200, days: 3650, replicates: 100 } }),
    })).json();
    assert.ok(created.id, JSON.stringify(created));
    await waitFor(async () => {
      const doc = await (await fetch(`${url}/api/v1/simulations/${created.id}`)).json();
      assert.ok(!['failed', 'cancelled'].includes(doc.status), JSON.stringify(doc.error));
      return doc.status === 'succeeded';
    }, 'the 100 runs to finish', 300000, 500);
    // The page asks for the summary alone, without the 100 runs' days.
    const summaryPart = await (await fetch(`${url}/api/v1/simulations/${created.id}/results?format=json&part=summary`)).json();
    assert.ok(summaryPart.summary, 'the results have a summary');
    assert.deepEqual(summaryPart.replicates, []);
    // Navigation start to charts drawn, as the page marks it, over five
    // loads. The fastest is held to 1 s: the page's own cost, which a load
    // on the (shared) machine only adds to; all five are printed.
    const times = [];
    const open = async () => {
      const page = await browser.newPage();
      await page.goto(`${url}/simulations/${created.id}`);
      await page.waitForSelector('body[data-rendered-ms]', { timeout: 30000 });
      return page;
    };
    for (let i = 0; i < 5; i += 1) {
      const page = await open();
      times.push(Number(await page.getAttribute('body', 'data-rendered-ms')));
      await page.close();
    }
    times.sort((a, b) => a - b);
    const median = times[2];
    console.log(`results page of 100 runs x 3,650 days: rendered in ${times.join(', ')} ms (median ${median} ms)`);
    assert.ok(times[0] < 1000, `rendered in ${times.join(', ')} ms: not once under 1 s`);

    // What it shows: the mean of the 100 runs with their ranges, every day,
    // and that the epidemics ended early.
    const page = await open();
    assert.match(await page.locator('#figures-basis').textContent(), /mean of 100 runs/);
    assert.equal(await page.getAttribute('#epidemic-chart', 'data-days'), '3651');
    // The ranges over runs come from the document's `figures`.
    assert.match(await page.locator('#figures').textContent(), /5–95%: [\d,]+–[\d,]+ people/);
    assert.equal(await page.locator('#spreading').getAttribute('data-state'), 'ended');
    assert.match(await page.locator('#spreading').textContent(), /no infection was left after day [\d,]+ at the latest/);
    await screenshot(page, 'simulation-large');
    await page.close();
    assert.deepEqual(browser.errors, []);
  } finally {
    await big.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
