// Two runs, contact tracing on and off, picked under "My simulations" and
// compared: their key figures with the difference and the ratio to a
// baseline, one line each, and the parameters that differ. Then unnamed
// runs of several replicates and different populations: their names, their
// bands, their ranges and the units.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  checkBothWidths, openForm, screenshot, startBrowser, startServer, submitForm, waitFor, waitForFinalStatus,
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

async function getJson(path) {
  const response = await fetch(`${server.url}${path}`, { headers: { Accept: 'application/json' } });
  assert.equal(response.status, 200, path);
  return response.json();
}

// Hyndman & Fan type 7, as the server's summaries.
function percentile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const h = q * (sorted.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

// The key figures of each run, worked out here from the API's results (the
// whole document), with their mean, p5 and p95 over the runs.
async function expectedFigures(id) {
  const sim = await getJson(`/api/v1/simulations/${id}`);
  const results = await getJson(`/api/v1/simulations/${id}/results?format=json`);
  const population = sim.scenario.population;
  const runs = results.replicates.map(({ days }) => {
    let peak = days[0];
    let hospital = days[0];
    for (const row of days) {
      if (row.currently_infected > peak.currently_infected) peak = row;
      if (row.hospitalized > hospital.hospitalized) hospital = row;
    }
    const last = days[days.length - 1];
    const lastWeek = days.filter((row) => row.day > last.day - 7).reduce((sum, row) => sum + row.new_infections, 0);
    return {
      peak_infected: peak.currently_infected,
      peak_day: peak.day,
      attack_rate: last.total_infected / population,
      dead: last.dead,
      peak_hospitalized: hospital.hospitalized,
      peak_hospitalized_day: hospital.day,
      still_spreading: lastWeek > 0,
    };
  });
  const stat = (key, f) => f(runs.map((r) => r[key]));
  const keys = ['peak_infected', 'peak_day', 'attack_rate', 'dead', 'peak_hospitalized', 'peak_hospitalized_day'];
  const of = (f) => Object.fromEntries(keys.map((key) => [key, stat(key, f)]));
  return {
    population,
    runs,
    mean: of((v) => v.reduce((a, b) => a + b, 0) / v.length),
    p5: of((v) => percentile(v, 0.05)),
    p95: of((v) => percentile(v, 0.95)),
    stillSpreading: runs.filter((r) => r.still_spreading).length,
    results,
  };
}

// The key figures table's cell of run `id`, figure `key`: its numbers.
async function cell(page, id, key) {
  const node = page.locator(`#figures td[data-id="${id}"][data-figure="${key}"]`);
  const attributes = await node.evaluate((td) => ({ ...td.dataset, text: td.textContent }));
  const number = (name) => (attributes[name] === undefined ? undefined : Number(attributes[name]));
  return {
    text: attributes.text,
    value: number('value'),
    difference: number('difference'),
    ratio: number('ratio'),
    p5: number('p5'),
    p95: number('p95'),
  };
}

function close(actual, expected, what) {
  assert.ok(Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

const TWO_DECIMALS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const SCALED = ['peak_infected', 'dead', 'peak_hospitalized'];

// Checks every figure of the table for `id` against `expected`, with
// `baseline` (expected figures of the baseline run, or null for the
// baseline itself), in units whose factor for a population is `factor`.
async function checkFigures(page, id, expected, baseline, factor) {
  const scaled = (figures, key, population) => {
    if (SCALED.includes(key)) return figures[key] * factor(population);
    if (key === 'attack_rate') return figures[key] * 100;
    return figures[key];
  };
  for (const key of [...SCALED, 'attack_rate', 'peak_day', 'peak_hospitalized_day']) {
    const got = await cell(page, id, key);
    const value = scaled(expected.mean, key, expected.population);
    close(got.value, value, `${key} of ${id}`);
    if (expected.runs.length > 1) {
      close(got.p5, scaled(expected.p5, key, expected.population), `p5 of ${key}`);
      close(got.p95, scaled(expected.p95, key, expected.population), `p95 of ${key}`);
      assert.match(got.text, /5–95%: /);
    } else {
      assert.equal(got.p5, undefined, `no range for one run (${key})`);
    }
    if (!baseline) {
      assert.match(got.text, /baseline$/, `${key} of the baseline`);
      continue;
    }
    const base = scaled(baseline.mean, key, baseline.population);
    close(got.difference, value - base, `difference of ${key}`);
    if (key.endsWith('_day')) {
      assert.equal(got.ratio, undefined, 'no ratio of days');
      assert.match(got.text, /days?$/);
    } else if (base !== 0) {
      close(got.ratio, value / base, `ratio of ${key}`);
      assert.ok(got.text.endsWith(`(×${TWO_DECIMALS.format(value / base)})`), got.text);
    }
  }
  const end = await page.locator(`#figures td.end[data-id="${id}"]`).textContent();
  if (expected.stillSpreading > 0) assert.match(end, /still spreading at the end/);
  else assert.doesNotMatch(end, /still spreading/);
}

const PEOPLE = () => 1;
const PERCENT = (population) => 100 / population;
const PER_100K = (population) => 100000 / population;

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
  assert.deepEqual([...ids].sort(), [off, on].sort());

  await page.waitForSelector('body[data-state="ready"]');
  assert.equal(await page.locator('h1').textContent(), 'Compare 2 simulations');
  assert.equal(await page.title(), 'Compare 2 simulations · outbreak');
  assert.equal(await page.locator('#one-note').isVisible(), false);
  assert.equal(await page.getAttribute('#compare-chart', 'data-series'), '2');

  // The key figures: the first run in the address is the baseline; every
  // figure, difference and ratio as worked out here from the results.
  const expected = { [off]: await expectedFigures(off), [on]: await expectedFigures(on) };
  const [first, second] = ids;
  assert.equal(await page.getByLabel('Baseline').inputValue(), first);
  await checkFigures(page, first, expected[first], null, PEOPLE);
  await checkFigures(page, second, expected[second], expected[first], PEOPLE);
  const headers = await page.locator('#figures thead th[scope="col"]').allTextContents();
  assert.equal(headers.length, 3);
  assert.match(headers[ids.indexOf(off) + 1], /^no tracing \(baseline\)$|^no tracing$/);
  const rowHeaders = await page.locator('#figures tbody th[scope="row"]').allTextContents();
  assert.deepEqual(rowHeaders, ['Peak currently infected', 'Day of that peak', 'Attack rate (infected in total)', 'Deaths',
    'Peak in hospital', 'Day of the hospital peak', 'At the end']);
  assert.match(await page.locator('#figures caption').textContent(), /difference and the ratio to the baseline/);
  assert.equal(await page.locator('#figures td.num').first().evaluate((td) => getComputedStyle(td).textAlign), 'right');

  // Another baseline: the differences and ratios turn around, and the
  // address keeps it.
  await page.getByLabel('Baseline').selectOption(second);
  await checkFigures(page, second, expected[second], null, PEOPLE);
  await checkFigures(page, first, expected[first], expected[second], PEOPLE);
  assert.equal(new URL(page.url()).searchParams.get('baseline'), second);
  await checkBothWidths(page, 'compare-figures');

  // Per 100,000: the table and the chart's values scale with the population.
  await page.getByLabel('Units').selectOption('per100k');
  await checkFigures(page, first, expected[first], expected[second], PER_100K);
  assert.equal(await page.getAttribute('#compare-chart', 'data-units'), 'per100k');
  assert.match(await page.locator('#compare-summary').textContent(), /\(per 100,000\)/);
  await page.getByLabel('Units').selectOption('people');
  await page.getByLabel('Baseline').selectOption(first);
  assert.equal(new URL(page.url()).searchParams.get('baseline'), null);
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
