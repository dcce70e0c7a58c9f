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

// Equal but for the server's rounding of its means to six decimals.
function close(actual, expected, what) {
  assert.ok(Math.abs(actual - expected) <= 1e-4 + 1e-5 * Math.abs(expected), `${what}: ${actual} != ${expected}`);
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
  assert.equal(await page.getByLabel('Baseline', { exact: true }).inputValue(), first);
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
  await page.getByLabel('Baseline', { exact: true }).selectOption(second);
  await checkFigures(page, second, expected[second], null, PEOPLE);
  await checkFigures(page, first, expected[first], expected[second], PEOPLE);
  assert.equal(new URL(page.url()).searchParams.get('baseline'), second);
  await checkBothWidths(page, 'compare-figures');

  // Per 100,000: the table and the chart's values scale with the population.
  await page.getByLabel('Units', { exact: true }).selectOption('per100k');
  await checkFigures(page, first, expected[first], expected[second], PER_100K);
  assert.equal(await page.getAttribute('#comparison', 'data-units'), 'per100k');
  assert.match(await page.locator('#compare-summary').textContent(), /\(per 100,000\)/);
  await page.getByLabel('Units', { exact: true }).selectOption('people');
  await page.getByLabel('Baseline', { exact: true }).selectOption(first);
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

// Submits `scenario` unnamed through the API and waits for it to succeed.
async function submitUnnamed(scenario) {
  const response = await fetch(`${server.url}/api/v1/simulations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ scenario }),
  });
  assert.equal(response.status, 201);
  const { id } = await response.json();
  await waitFor(async () => (await getJson(`/api/v1/simulations/${id}`)).status === 'succeeded', `${id} to succeed`, 120000, 200);
  return id;
}

const ONE_DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

test('unnamed runs with replicates: names, bands, ranges, units and the keyboard', async () => {
  const big = await submitUnnamed({ population: 20000, days: 60, replicates: 3 });
  const small = await submitUnnamed({ population: 10000, days: 60, replicates: 3, home_infection_risk: 0.2 });
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${server.url}/compare?ids=${big},${small}`);
  await page.waitForSelector('body[data-state="ready"]');

  // Named from what differs from the defaults, and the population.
  const names = await page.locator('#figures thead th[data-id]').evaluateAll((ths) => ths.map((th) => th.firstChild.nextSibling.textContent));
  assert.deepEqual(names, ['60 days, 20k', `60 days, ${(await page.evaluate(async () => {
    const schema = await (await fetch('/api/v1/scenario')).json();
    const p = schema.parameters.find((x) => x.name === 'home_infection_risk');
    return (p.label || 'Home infection risk').toLowerCase();
  }))} 0.2, 10k`]);
  const legend = await page.locator('#compare-chart .chart-legend li').allTextContents();
  assert.ok(legend.some((text) => text.startsWith('60 days, 20k')), legend.join(' | '));

  // Runs of several replicates are read without their days.
  for (const id of [big, small]) {
    const reads = requests.filter((url) => url.includes(`/simulations/${id}/results`));
    assert.ok(reads.length >= 1 && reads.every((url) => url.includes('part=summary')), reads.join(', '));
  }

  // The mean with a 5–95% range over the 3 runs of each figure; the
  // difference and the ratio to the baseline. They are the server's
  // `figures` when it sends them, else worked out from the days.
  const expected = { [big]: await expectedFigures(big), [small]: await expectedFigures(small) };
  const sent = Boolean((await getJson(`/api/v1/simulations/${big}`)).figures);
  assert.equal(await page.getAttribute(`#figures thead th[data-id="${big}"]`, 'data-source'), sent ? 'figures' : 'days');
  await checkFigures(page, big, expected[big], null, PEOPLE);
  await checkFigures(page, small, expected[small], expected[big], PEOPLE);
  assert.equal(await page.getAttribute('#compare-chart', 'data-bands'), '2');
  assert.match(await page.locator('#compare-summary').textContent(), /shaded between the 5th and 95th percentile/);
  const bandLegend = await page.locator('#compare-chart .chart-legend li').allTextContents();
  assert.ok(bandLegend.some((text) => text.includes('5th–95th percentile over 3 runs')), bandLegend.join(' | '));
  assert.match(await page.locator('#figures thead').textContent(), /mean of 3 runs/);

  // % of population: the ratio now compares runs of different sizes, in
  // the table and on the chart.
  await page.getByLabel('Units', { exact: true }).selectOption('percent');
  await checkFigures(page, big, expected[big], null, PERCENT);
  await checkFigures(page, small, expected[small], expected[big], PERCENT);
  const people = (await cell(page, small, 'peak_infected')).ratio;
  assert.notEqual(people, expected[small].mean.peak_infected / expected[big].mean.peak_infected);
  assert.equal(await page.getAttribute('#comparison', 'data-units'), 'percent');
  const summary = await page.locator('#compare-summary').textContent();
  for (const [id, label] of [[big, names[0]], [small, names[1]]]) {
    const rows = expected[id].results.summary.mean;
    const peak = rows.reduce((best, row) => (row.currently_infected > best.currently_infected ? row : best), rows[0]);
    const text = `${label}: highest ${ONE_DECIMAL.format((peak.currently_infected * 100) / expected[id].population)}% on day ${peak.day}`;
    assert.ok(summary.includes(text), `${text} in ${summary}`);
  }
  assert.equal(new URL(page.url()).searchParams.get('units'), 'percent');
  await checkBothWidths(page, 'compare-replicates');

  // On a phone the tables scroll sideways, and the keyboard reaches them.
  await page.setViewportSize({ width: 390, height: 844 });
  const region = page.getByRole('region', { name: 'Key figures (scrolls sideways)' });
  await waitFor(async () => {
    await page.keyboard.press('Tab');
    return region.evaluate((node) => node === document.activeElement);
  }, 'the key figures to get the focus', 10000, 0);
  assert.ok(await region.evaluate((node) => node.scrollWidth > node.clientWidth), 'the table is wider than the phone');
  for (let i = 0; i < 5; i += 1) await page.keyboard.press('ArrowRight');
  await waitFor(() => region.evaluate((node) => node.scrollLeft > 0), 'the table to scroll with the arrow keys', 5000);
  const parameters = page.getByRole('region', { name: 'Parameters that differ (scrolls sideways)' });
  assert.equal(await parameters.getAttribute('tabindex'), '0');
  await screenshot(page, 'compare-replicates-scrolled-390');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.close();

  // A server that does not know `part` (400): the whole documents serve.
  const old = await browser.newPage();
  await old.route(/\/results\?.*part=summary/, (route) => route.fulfill({
    status: 400, contentType: 'application/json', body: '{"error":{"code":"bad_request","message":"unknown parameter part"}}',
  }));
  await old.goto(`${server.url}/compare?ids=${big},${small}`);
  await old.waitForSelector('body[data-state="ready"]');
  await checkFigures(old, small, expected[small], expected[big], PEOPLE);
  assert.equal(await old.getAttribute('#compare-chart', 'data-bands'), '2');
  await old.close();

  // The server's `figures` come first when it sends them: those of the
  // complete runs of a cancelled job, marked partial, one still spreading,
  // and a run that stopped early.
  const fake = (replicate, peak, endedOn, spreading) => ({
    replicate, peak_infected: peak, peak_day: 20 + replicate, total_infected: 4000 + replicate, attack_rate: (4000 + replicate) / 10000,
    dead: 10 * replicate, peak_hospitalized: 30 + replicate, peak_hospitalized_day: 25 + replicate, infected_at_end: spreading ? 50 : 0,
    new_infections_last_7_days: spreading ? 40 : 0, still_spreading: spreading, ended_on_day: endedOn,
  });
  const stats = (a, b, f) => Object.fromEntries(Object.keys(a).filter((k) => typeof a[k] === 'number').map((k) => [k, f(a[k], b[k])]));
  const runs = [fake(1, 1000, null, true), fake(2, 3000, 50, false)];
  const figures = {
    population: 10000, days: 60, replicates: 3, complete: 2, partial: true, runs,
    mean: stats(runs[0], runs[1], (x, y) => (x + y) / 2),
    p5: stats(runs[0], runs[1], (x, y) => percentile([x, y], 0.05)),
    p95: stats(runs[0], runs[1], (x, y) => percentile([x, y], 0.95)),
    still_spreading: 1,
  };
  const given = await browser.newPage();
  await given.route(new RegExp(`/api/v1/simulations/${small}$`), async (route) => {
    const response = await route.fetch();
    const sim = await response.json();
    await route.fulfill({ response, json: { ...sim, status: 'cancelled', figures } });
  });
  await given.goto(`${server.url}/compare?ids=${big},${small}`);
  await given.waitForSelector('body[data-state="ready"]');
  const peak = await cell(given, small, 'peak_infected');
  close(peak.value, 2000, 'the mean peak of the server');
  close(peak.p5, percentile([1000, 3000], 0.05), 'its p5');
  close(peak.ratio, 2000 / expected[big].mean.peak_infected, 'its ratio');
  close((await cell(given, small, 'attack_rate')).value, 40.015, 'the attack rate of the server, in %');
  const end = await given.locator(`#figures td.end[data-id="${small}"]`).textContent();
  assert.match(end, /still spreading at the end \(1 of 2 runs\)/);
  assert.match(end, /partial: 2 of 3 runs complete/);
  assert.match(await given.locator(`#figures thead th[data-id="${small}"]`).textContent(), /partial/);
  await given.close();

  // One id: nothing to compare yet, said so (never "Compare 1 simulations").
  const one = await browser.newPage();
  await one.goto(`${server.url}/compare?ids=${big}`);
  await one.waitForSelector('body[data-state="ready"]');
  assert.equal(await one.locator('h1').textContent(), 'Compare simulations');
  assert.match(await one.locator('#one-note').textContent(), /Only one simulation so far: add another to compare/);
  assert.doesNotMatch(await one.locator('body').textContent(), /Compare 1 simulation/);
  assert.equal(await one.getByLabel('Baseline', { exact: true }).isVisible(), false);
  assert.equal(await one.locator('#figures caption').textContent(), 'Key figures');
  assert.doesNotMatch(await one.locator('#figures table').textContent(), /baseline/);
  close((await cell(one, big, 'peak_infected')).value, expected[big].mean.peak_infected, 'the peak of the one run');
  await checkBothWidths(one, 'compare-one');
  await one.close();
  assert.deepEqual(browser.errors, []);
});

test('unnamed runs are named from what differs from the defaults', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/compare`);
  const names = await page.evaluate(async () => {
    const { runName } = await import('/assets/naming.js');
    const schema = await (await fetch('/api/v1/scenario')).json();
    const defaults = Object.fromEntries(schema.parameters.map((p) => [p.name, p.default]));
    const sim = (name, changes) => ({ name, scenario: { ...defaults, ...changes } });
    return [
      runName(sim('my run', { population: 300000 }), schema),
      runName(sim('simulation', {}), schema),
      runName(sim('simulation', { population: 300000, contact_tracing: true }), schema),
      runName(sim('simulation', {
        population: 50000,
        interventions: [{ type: 'distancing', name: 'Lockdown', start_day: 30 }, { type: 'vaccination', start_day: 0 },
          { type: 'distancing', name: 'lockdown', start_day: 90 }],
      }), schema),
      runName(sim('simulation', { population: 1500000, symptomatic_isolation: true, contact_tracing: true, latent_days: 2 }), schema),
      runName(sim('simulation', {}), null),
      runName({ name: 'simulation', scenario: 'unreadable' }, schema),
      // The schema's labels name the parameters; an acronym keeps its capitals.
      runName(sim('simulation', { contact_tracing: true, symptomatic_isolation: true }), {
        ...schema,
        parameters: schema.parameters.map((p) => ({
          ...p, label: { contact_tracing: 'Test and trace', symptomatic_isolation: 'TTI isolation' }[p.name] ?? p.label,
        })),
      }),
      schema.parameters.find((p) => p.name === 'contact_tracing').label || 'Contact tracing',
      schema.parameters.find((p) => p.name === 'symptomatic_isolation').label || 'Symptomatic isolation',
    ];
  });
  const [tracing, isolation] = names.slice(-2).map((label) => label.charAt(0).toLowerCase() + label.slice(1));
  assert.deepEqual(names.slice(0, -2), [
    'my run',
    'defaults, 100k',
    `${tracing}, 300k`,
    'lockdown + vaccination, 50k',
    `${isolation}, ${tracing}, +1 more, 1.5M`,
    'simulation, 100k',
    'simulation',
    'TTI isolation, test and trace, 100k',
  ]);
  await page.close();
});
