// The charts (web/src/assets/chart.js) on a small page served from the real
// server's origin under its Content-Security-Policy: legend entries that
// hide and show their series, zoom and its reset, all-zero series, exact
// tick labels, log-scale grid lines and bands, the units switch, the bands'
// legend entry, caption and hover range, the table, PNG and SVG downloads,
// the palette's contrast, a long chart's update cost, and the results page
// of a real run.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import {
  checkBothWidths, screenshot, screenshotDir, startBrowser, startServer, waitFor, waitForFinalStatus,
} from './support.js';

let server;
let browser;
let csp;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  csp = (await fetch(`${server.url}/`)).headers.get('content-security-policy');
  assert.ok(csp, 'the server sends a Content-Security-Policy');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// The test page: uPlot, the stylesheet and chart.js from the server; the
// page and its module answered by the test, with the server's CSP.
const HARNESS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Charts · outbreak</title>
  <link rel="stylesheet" href="/assets/uplot/uPlot.min.css">
  <link rel="stylesheet" href="/assets/style.css">
  <script src="/assets/uplot/uPlot.iife.min.js" defer></script>
  <script type="module" src="/chart-harness.js"></script>
</head>
<body>
  <main id="main" class="layout-page">
    <h1>Charts</h1>
    <section aria-labelledby="first-heading">
      <h2 id="first-heading">Counts</h2>
      <figure class="chart"><div id="first" class="chart-host"></div><figcaption class="chart-summary">Counts per day.</figcaption></figure>
    </section>
    <section aria-labelledby="second-heading">
      <h2 id="second-heading">Log scale</h2>
      <figure class="chart"><div id="second" class="chart-host"></div><figcaption class="chart-summary">Log scale.</figcaption></figure>
    </section>
  </main>
</body>
</html>
`;

const HARNESS_JS = `
import { LineChart, PALETTE, contrastRatio, legibleColor, dayAxis, withAlpha } from '/assets/chart.js';
window.chartModule = { PALETTE, contrastRatio, legibleColor };
window.charts = {};
window.draw = (id, options, spec) => {
  if (!window.charts[id]) window.charts[id] = new LineChart(document.getElementById(id), options);
  window.charts[id].update(spec);
};
window.helpers = { dayAxis, withAlpha };
document.body.dataset.ready = 'true';
`;

async function openHarness(options = {}) {
  const page = await browser.newPage(options);
  const headers = { 'content-security-policy': csp };
  await page.route(`${server.url}/chart-harness.html`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers, body: HARNESS_HTML }));
  await page.route(`${server.url}/chart-harness.js`, (route) => route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', headers, body: HARNESS_JS }));
  await page.goto(`${server.url}/chart-harness.html`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(() => typeof window.uPlot === 'function');
  return page;
}

// WCAG 2.x contrast, computed here independently of chart.js.
function contrast(a, b) {
  const lum = (hex) => {
    const v = Number.parseInt(hex.slice(1), 16);
    const c = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map((x) => {
      const s = x / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// "1.25K" -> 1250, "1,250" -> 1250, "0.5" -> 0.5.
function parseTick(text) {
  const match = /^(-?[\d.,]+)([KMBT]?)$/.exec(text);
  assert.ok(match, `tick label "${text}"`);
  return Number(match[1].replaceAll(',', '')) * { '': 1, K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[match[2]];
}

// axe-core (WCAG 2.2 AA) on the part of a page under `selector`.
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
async function checkChartAccessibility(page, selector, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async (include) => (await window.axe.run({ include: [include] }, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'] },
    resultTypes: ['violations'],
  })).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), selector);
  assert.deepEqual(violations, [], `accessibility violations in ${what}`);
}

const DAYS = 121;
const POPULATION = 10000;

// A chart of three measures: A (with a 5-95% band), B and Z (all zero),
// a reference line at 500 and a population for the units switch.
function firstSpec() {
  const xs = Array.from({ length: DAYS }, (_, d) => d);
  const a = xs.map((d) => Math.round(1250 * Math.exp(-(((d - 60) / 20) ** 2))));
  const b = xs.map((d) => 10 * d);
  return {
    series: [
      { label: 'Infected', color: '#0072b2', width: 2 },
      { label: 'Infected, 95th percentile', color: '#0072b2', alpha: 0.25, width: 1, legend: false },
      { label: 'Infected, 5th percentile', color: '#0072b2', alpha: 0.25, width: 1, legend: false },
      { label: 'Recovered', color: '#e69f00', width: 2 },
      { label: 'Vaccinated', color: '#56b4e9', width: 2 },
    ],
    data: [xs, a, a.map((v) => Math.round(v * 1.2)), a.map((v) => Math.round(v * 0.8)), b, xs.map(() => 0)],
    bands: [{ upper: 2, lower: 3, color: 'rgba(0, 114, 178, 0.15)', of: 1 }],
    bandLabel: '5th–95th percentile over 4 runs',
    population: POPULATION,
    lines: [{ value: 500, label: 'Capacity (500 beds)', color: '#a61b1b' }],
    xMax: 120,
  };
}

const legendText = (page, id) => page.locator(`#${id} .chart-legend li`).allTextContents();
const shown = (page, id) => page.evaluate((key) => window.charts[key].plot.series.map((s) => s.show), id);
const ticks = (page, id, axis) => page.evaluate(([key, i]) => {
  const a = window.charts[key].plot.axes[i];
  return { splits: a._splits, values: a._values };
}, [id, axis]);

test('the palette and every drawn colour have at least 3:1 contrast on white', async () => {
  const page = await openHarness();
  const { palette, ratios, legible } = await page.evaluate(() => ({
    palette: window.chartModule.PALETTE,
    ratios: window.chartModule.PALETTE.map((c) => window.chartModule.contrastRatio(c, '#ffffff')),
    legible: ['#e69f00', '#56b4e9', '#999933', '#0072b2'].map((c) => window.chartModule.legibleColor(c)),
  }));
  assert.ok(palette.length >= 6, `${palette.length} colours`);
  assert.equal(new Set(palette.map((c) => c.toLowerCase())).size, palette.length, 'distinct colours');
  for (const [i, colour] of palette.entries()) {
    const ratio = contrast(colour, '#ffffff');
    assert.ok(ratio >= 3, `${colour}: ${ratio.toFixed(2)}:1`);
    assert.ok(Math.abs(ratio - ratios[i]) < 1e-9, `chart.js says ${ratios[i]} for ${colour}`);
  }
  // The two colours the pages used that fail, as computed here.
  assert.ok(contrast('#e69f00', '#ffffff') < 3 && contrast('#56b4e9', '#ffffff') < 3);
  // A page's own colour below 3:1 is drawn darker, one above stays as it is.
  for (const colour of legible) assert.ok(contrast(colour, '#ffffff') >= 3, colour);
  assert.equal(legible[3], '#0072b2');
  await page.close();
});

test('legend entries hide and show their series; all-zero series are hidden; dashes tell series apart', async () => {
  const page = await openHarness();
  await page.evaluate((spec) => window.draw('first', { label: 'Chart of test counts' }, spec), firstSpec());
  const legend = await legendText(page, 'first');
  assert.ok(legend[0].startsWith('Infected'), legend.join(' | '));
  assert.ok(legend.some((text) => text.startsWith('Vaccinated') && text.includes('(all zero)')), legend.join(' | '));
  // Series 5 (Vaccinated, all zero) is not drawn; the others are.
  assert.deepEqual(await shown(page, 'first'), [true, true, true, true, true, false]);
  const zero = page.getByRole('button', { name: 'Vaccinated' });
  assert.equal(await zero.getAttribute('aria-pressed'), 'false');
  assert.equal(await zero.isDisabled(), true);

  const recovered = page.getByRole('button', { name: 'Recovered', exact: true });
  assert.equal(await recovered.getAttribute('aria-pressed'), 'true');
  await recovered.click();
  assert.equal(await recovered.getAttribute('aria-pressed'), 'false');
  assert.deepEqual(await shown(page, 'first'), [true, true, true, true, false, false]);
  // Hiding the mean hides its band too.
  await page.getByRole('button', { name: 'Infected', exact: true }).click();
  assert.deepEqual(await shown(page, 'first'), [true, false, false, false, false, false]);
  // New data keeps the choice; showing again brings them back.
  await page.evaluate((spec) => window.draw('first', { label: 'Chart of test counts' }, spec), firstSpec());
  assert.deepEqual(await shown(page, 'first'), [true, false, false, false, false, false]);
  await page.getByRole('button', { name: 'Infected', exact: true }).click();
  await recovered.focus();
  await page.keyboard.press('Enter');
  assert.deepEqual(await shown(page, 'first'), [true, true, true, true, true, false]);

  // An entry is all zero only if the faint lines of its runs are too.
  await page.evaluate(() => window.draw('second', { label: 'Chart of runs' }, {
    series: [
      { label: 'Dead, run 1', color: '#000000', alpha: 0.3, legend: false },
      { label: 'Dead, run 2', legendLabel: 'Dead (run 2)', color: '#000000' },
    ],
    data: [[0, 1, 2], [0, 1, 2], [0, 0, 0]],
  }));
  assert.equal((await legendText(page, 'second'))[0], 'Dead (run 2)0 (day 2)');
  assert.deepEqual(await shown(page, 'second'), [true, true, true]);
  // Hiding the entry hides its runs' faint lines.
  await page.getByRole('button', { name: 'Dead (run 2)' }).click();
  assert.deepEqual(await shown(page, 'second'), [true, false, false]);

  // Each colour has its own dash: solid, then dashed; legend swatches too.
  const dashes = await page.evaluate(() => window.charts.first.plot.series.slice(1).map((s) => JSON.stringify(s.dash ?? null)));
  assert.equal(dashes[0], 'null');
  assert.notEqual(dashes[3], 'null');
  assert.notEqual(dashes[3], dashes[4]);
  assert.equal(await page.locator('#first .chart-legend li[data-series="4"] line[stroke-dasharray]').count(), 1);
  // The page's failing colours are drawn darker, at 3:1 or more.
  const strokes = await page.evaluate(() => window.charts.first.plot.series.slice(4).map((s) => s._stroke ?? s.stroke()));
  for (const stroke of strokes) assert.ok(contrast(stroke, '#ffffff') >= 3, stroke);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('tick labels are exact and log scales have grid lines at powers of ten only, without drops to zero', async () => {
  const page = await openHarness();
  await page.evaluate((spec) => window.draw('first', { label: 'Chart of test counts' }, spec), firstSpec());
  for (const axis of [0, 1]) {
    const { splits, values } = await ticks(page, 'first', axis);
    assert.ok(splits.length >= 3, `axis ${axis}: ${values}`);
    splits.forEach((split, i) => {
      assert.ok(Math.abs(parseTick(values[i]) - split) <= 1e-9 * Math.max(1, Math.abs(split)), `axis ${axis}: "${values[i]}" marks ${split}`);
    });
  }
  // A scale whose natural step is 250 (a maximum of 1,300): no "1.3K".
  await page.evaluate(() => window.draw('second', { label: 'Chart of a small range' }, {
    series: [{ label: 'Small', color: '#0072b2' }],
    data: [[0, 1, 2, 3, 4], [0, 1250, 1300, 1260, 10]],
  }));
  for (const height of [240, 320, 600]) {
    await page.evaluate((h) => window.charts.second.plot.setSize({ width: window.charts.second.plot.width, height: h }), height);
    const { splits, values } = await ticks(page, 'second', 1);
    splits.forEach((split, i) => assert.equal(parseTick(values[i]), split, `"${values[i]}" marks ${split} at ${height} px`));
  }
  await page.evaluate(() => window.charts.second.resize());

  // Log scale: data from 0 to 50,000; a band whose lower edge reaches 0.
  const logSpec = {
    series: [
      { label: 'Cases', color: '#d55e00' },
      { label: 'Cases, 95th percentile', color: '#d55e00', alpha: 0.25, width: 1, legend: false },
      { label: 'Cases, 5th percentile', color: '#d55e00', alpha: 0.25, width: 1, legend: false },
    ],
    data: [
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 3, 30, 300, 3000, 30000, 50000, 0],
      [2, 6, 60, 600, 6000, 45000, 60000, 1],
      [0, 0, 5, 50, 500, 5000, 40000, 0],
    ],
    bands: [{ upper: 2, lower: 3, color: 'rgba(213, 94, 0, 0.15)', of: 1 }],
    bandLabel: '5th–95th percentile over 10 runs',
    log: true,
  };
  await page.evaluate((spec) => window.draw('second', { label: 'Chart of a log scale' }, spec), logSpec);
  const log = await ticks(page, 'second', 1);
  assert.deepEqual(log.splits, [1, 10, 100, 1000, 10000, 100000]);
  assert.deepEqual(log.values, ['1', '10', '100', '1K', '10K', '100K']);
  const plotted = await page.evaluate(() => {
    const c = window.charts.second;
    return { data: c.plot.data.map((column) => Array.from(column)), min: c.plot.scales.y.min };
  });
  assert.equal(plotted.min, 1);
  // The mean leaves gaps at 0; the band's edges sit on the axis minimum.
  assert.deepEqual(plotted.data[1], [null, 3, 30, 300, 3000, 30000, 50000, null]);
  assert.deepEqual(plotted.data[3], [1, 1, 5, 50, 500, 5000, 40000, 1]);
  assert.deepEqual(plotted.data[2], [2, 6, 60, 600, 6000, 45000, 60000, 1]);
  // Hover values stay the real ones.
  await page.evaluate(() => window.charts.second.showValues(1));
  assert.match((await legendText(page, 'second'))[0], /^Cases3 \(0–6\) \(day 1\)$/);
  await screenshot(page, 'chart-ticks-log');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('drag zooms the days; double-click and "Reset zoom" show them all again', async () => {
  const page = await openHarness();
  await page.evaluate((spec) => window.draw('first', { label: 'Chart of test counts' }, spec), firstSpec());
  const scale = () => page.evaluate(() => [window.charts.first.plot.scales.x.min, window.charts.first.plot.scales.x.max]);
  assert.deepEqual(await scale(), [0, 120]);
  const reset = page.getByRole('button', { name: 'Reset zoom' });
  assert.equal(await reset.isVisible(), false);
  const box = await page.locator('#first .u-over').boundingBox();
  const at = (day) => box.x + (day / 120) * box.width;
  const drag = async (from, to) => {
    await page.mouse.move(at(from), box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(at((from + to) / 2), box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(at(to), box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
  };
  await drag(30, 60);
  const [min, max] = await scale();
  assert.ok(Math.abs(min - 30) <= 2 && Math.abs(max - 60) <= 2, `zoomed to ${min}–${max}`);
  assert.equal(await reset.isVisible(), true);
  // The legend, away from the cursor, shows the last day shown.
  await page.mouse.move(box.x + box.width / 2, box.y + box.height + 80);
  assert.match((await legendText(page, 'first'))[0], new RegExp(`\\(day ${Math.round(max)}\\)$`));
  // New data keeps the zoom.
  await page.evaluate((spec) => window.draw('first', { label: 'Chart of test counts' }, spec), firstSpec());
  assert.deepEqual(await scale(), [min, max]);
  await screenshot(page, 'chart-zoomed');
  await page.mouse.dblclick(at(45), box.y + box.height / 2);
  assert.deepEqual(await scale(), [0, 120]);
  assert.equal(await reset.isVisible(), false);
  await drag(10, 40);
  assert.notDeepEqual(await scale(), [0, 120]);
  await reset.click();
  assert.deepEqual(await scale(), [0, 120]);
  // The focus stays in the chart's toolbar.
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Show as table');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('bands: legend entry, caption and the range at the cursor; units rescale values, lines, table and label', async () => {
  const page = await openHarness();
  const spec = firstSpec();
  await page.evaluate((s) => window.draw('first', { label: 'Chart of test counts' }, s), spec);
  const legend = await legendText(page, 'first');
  assert.ok(legend.includes('5th–95th percentile over 4 runs'), legend.join(' | '));
  assert.match(await page.locator('#first .chart-caption').textContent(), /Shaded bands: 5th–95th percentile over 4 runs\./);
  // Hovering day 60: "1,250 (1,000–1,500) (day 60)".
  const box = await page.locator('#first .u-over').boundingBox();
  await page.mouse.move(box.x + (60 / 120) * box.width, box.y + box.height / 2);
  await waitFor(async () => (await legendText(page, 'first'))[0].includes('(day 60)'), 'the value at day 60');
  assert.equal((await legendText(page, 'first'))[0], 'Infected1,250 (1,000–1,500) (day 60)');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height + 60);

  // Units: people, % of population, per 100,000.
  const units = page.getByLabel('Units');
  assert.deepEqual(await units.locator('option').allTextContents(), ['People', '% of population', 'Per 100,000']);
  await units.selectOption({ label: '% of population' });
  await page.evaluate(() => window.charts.first.showValues(60));
  assert.equal((await legendText(page, 'first'))[0], 'Infected12.5% (10%–15%) (day 60)');
  const state = await page.evaluate(() => ({
    label: window.charts.first.plot.axes[1].label,
    line: window.charts.first.lines[0].value,
    max: window.charts.first.plot.scales.y.max,
  }));
  assert.equal(state.label, '% of population');
  assert.equal(state.line, 5);
  assert.ok(state.max < 20, `y max ${state.max}`);
  await units.selectOption({ label: 'Per 100,000' });
  await page.evaluate(() => window.charts.first.showValues(60));
  assert.equal((await legendText(page, 'first'))[0], 'Infected12,500 (10,000–15,000) (day 60)');
  assert.equal(await page.evaluate(() => window.charts.first.plot.axes[1].label), 'People per 100,000');

  // The table follows the units.
  await page.getByRole('button', { name: 'Show as table' }).click();
  const region = page.getByRole('region', { name: 'Table: Chart of test counts' });
  assert.equal(await region.getAttribute('tabindex'), '0');
  assert.match(await region.locator('caption').textContent(), /per 100,000/);
  const row60 = await region.locator('tbody tr').nth(60).evaluate((tr) => [...tr.children].map((c) => c.textContent));
  assert.deepEqual(row60, ['60', '12,500 (10,000–15,000)', '6,000', '0']);
  await units.selectOption({ label: 'People' });
  await waitFor(async () => (await region.locator('tbody tr').nth(60).locator('td').first().textContent()) === '1,250 (1,000–1,500)', 'the table in people');

  // A ratio has no units switch; a chart without population neither.
  await page.evaluate(() => window.draw('second', { label: 'Chart of R_t' }, {
    series: [{ label: 'R_t', color: '#009e73' }], data: [[0, 1, 2], [1.2, 1.1, 0.9]], population: 10000, units: false,
  }));
  assert.equal(await page.locator('#second .chart-units').isVisible(), false);
  assert.equal(await page.locator('#first .chart-units').isVisible(), true);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('per-series populations rescale each series by its own population', async () => {
  const page = await openHarness();
  await page.evaluate(() => window.draw('first', { label: 'Chart comparing runs' }, {
    series: [{ label: 'Small run', color: '#0072b2' }, { label: 'Large run', color: '#d55e00' }],
    data: [[0, 1, 2], [100, 500, 200], [600, 3000, 1200]],
    population: [null, 1000, 6000],
  }));
  await page.getByLabel('Units').selectOption({ label: '% of population' });
  await page.evaluate(() => window.charts.first.showValues(1));
  const legend = await legendText(page, 'first');
  assert.equal(legend[0], 'Small run50% (day 1)');
  assert.equal(legend[1], 'Large run50% (day 1)');
  await page.close();
});

test('the table: a real table in a focusable, named region; toolbar and table pass axe at both widths', async () => {
  const page = await openHarness();
  await page.evaluate((spec) => window.draw('first', { label: 'Chart of test counts', caption: 'Test counts per day' }, spec), firstSpec());
  const button = page.getByRole('button', { name: 'Show as table' });
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  await button.click();
  assert.equal(await page.getByRole('button', { name: 'Hide table' }).getAttribute('aria-expanded'), 'true');
  const region = page.getByRole('region', { name: 'Table: Chart of test counts' });
  assert.equal(await region.isVisible(), true);
  const table = region.locator('table');
  assert.match(await table.locator('caption').textContent(), /^Test counts per day; in brackets: 5th–95th percentile over 4 runs$/);
  assert.deepEqual(await table.locator('thead th').allTextContents(), ['Day', 'Infected', 'Recovered', 'Vaccinated']);
  assert.equal(await table.locator('tbody tr').count(), DAYS);
  assert.equal(await table.locator('tbody th[scope="row"]').first().textContent(), '0');
  // The region scrolls with the keyboard.
  await region.focus();
  await page.keyboard.press('PageDown');
  await waitFor(() => region.evaluate((node) => node.scrollTop > 0), 'the table to scroll');
  await page.evaluate((spec) => window.draw('second', { label: 'Chart of a log scale' }, { ...spec, log: true }), firstSpec());
  await checkBothWidths(page, 'chart-table');
  await page.getByRole('button', { name: 'Hide table' }).click();
  assert.equal(await region.count(), 0);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('PNG and SVG downloads of the chart with its legend', async () => {
  const page = await openHarness();
  await page.evaluate((spec) => window.draw('first', { label: 'Chart of test counts' }, spec), firstSpec());
  await page.getByRole('button', { name: 'Recovered', exact: true }).click();

  const [png] = await Promise.all([page.waitForEvent('download'), page.locator('#first').getByRole('button', { name: 'PNG' }).click()]);
  assert.equal(png.suggestedFilename(), 'chart-of-test-counts.png');
  const bytes = fs.readFileSync(await png.path());
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const pngHeight = bytes.readUInt32BE(20);
  const canvasHeight = await page.evaluate(() => window.charts.first.plot.ctx.canvas.height);
  assert.ok(pngHeight > canvasHeight, `the PNG (${pngHeight} px) holds more than the plot (${canvasHeight} px): title and legend`);

  const [svg] = await Promise.all([page.waitForEvent('download'), page.locator('#first').getByRole('button', { name: 'SVG' }).click()]);
  assert.equal(svg.suggestedFilename(), 'chart-of-test-counts.svg');
  const text = fs.readFileSync(await svg.path(), 'utf8');
  const parsed = await page.evaluate((source) => {
    const doc = new DOMParser().parseFromString(source, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      series: [...doc.querySelectorAll('path.series')].map((p) => p.getAttribute('data-label')),
      bands: doc.querySelectorAll('path.band').length,
      legend: [...doc.querySelectorAll('g.legend text')].map((t) => t.textContent),
      yTicks: [...doc.querySelectorAll('text.tick-y')].map((t) => t.textContent),
    };
  }, text);
  assert.equal(parsed.error, null);
  // Visible: the mean and its two percentile lines; Recovered is switched
  // off and Vaccinated is all zero.
  assert.deepEqual(parsed.series, ['Infected', 'Infected, 95th percentile', 'Infected, 5th percentile']);
  assert.equal(parsed.bands, 1);
  assert.deepEqual(parsed.legend, ['Infected', '5th–95th percentile over 4 runs', 'Capacity (500 beds)']);
  assert.ok(parsed.yTicks.length >= 3, parsed.yTicks.join(' '));
  // The SVG as a picture, for a look.
  const view = await browser.newPage();
  await view.setContent(text);
  await screenshot(view, 'chart-export-svg');
  await view.close();
  fs.writeFileSync(`${screenshotDir}/chart-export-png.png`, bytes);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('a chart of 3,650 days and 15 series with bands updates without a node per point', async () => {
  const page = await openHarness();
  const figures = await page.evaluate(async () => {
    const days = 3651;
    const xs = Array.from({ length: days }, (_, d) => d);
    const colours = window.chartModule.PALETTE;
    const make = (shift) => {
      const series = [];
      const data = [xs];
      const bands = [];
      for (let m = 0; m < 5; m += 1) {
        const mean = xs.map((d) => 1000 * (m + 1) * (1 + Math.sin((d + shift) / 100)));
        series.push({ label: `Measure ${m}`, color: colours[m] });
        series.push({ label: `Measure ${m}, 95th percentile`, color: colours[m], alpha: 0.25, width: 1, legend: false });
        series.push({ label: `Measure ${m}, 5th percentile`, color: colours[m], alpha: 0.25, width: 1, legend: false });
        data.push(mean, mean.map((v) => v * 1.1), mean.map((v) => v * 0.9));
        bands.push({ upper: series.length - 1, lower: series.length, color: 'rgba(0, 0, 0, 0.1)', of: series.length - 2 });
      }
      return { series, data, bands, bandLabel: '5th–95th percentile over 100 runs', population: 1000000 };
    };
    // uPlot draws in a microtask after setData: each time includes it
    // (and the wait for the next task, under a few milliseconds).
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    let t = performance.now();
    window.draw('first', { label: 'Chart of a long run' }, make(0));
    await settle();
    const first = performance.now() - t;
    const times = [];
    for (let k = 1; k <= 10; k += 1) {
      const spec = make(k);
      t = performance.now();
      window.draw('first', { label: 'Chart of a long run' }, spec);
      await settle();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { first, median: times[5], nodes: document.querySelectorAll('#first *').length };
  });
  // Measured, not asserted: the figures go to the test's output.
  console.log(`3,651 days x 15 series with 5 bands: first draw ${figures.first.toFixed(1)} ms, update median ${figures.median.toFixed(1)} ms`);
  assert.ok(figures.nodes < 100, `${figures.nodes} elements in the chart`);
  await page.close();
});

test('the results page of a real run: legend toggles, toolbar and table on its charts', async () => {
  const response = await fetch(`${server.url}/api/v1/simulations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'chart run', scenario: { population: 3000, days: 40, replicates: 2 } }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  const { id } = await response.json();
  const page = await browser.newPage();
  await page.goto(`${server.url}/simulations/${id}`);
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  const chart = page.locator('#epidemic-chart');
  const toggles = chart.locator('.chart-legend button.legend-toggle');
  assert.ok(await toggles.count() >= 5);
  const first = toggles.first();
  await first.click();
  assert.equal(await first.getAttribute('aria-pressed'), 'false');
  await first.click();
  assert.equal(await first.getAttribute('aria-pressed'), 'true');
  // The band of each mean gives its range at the cursor.
  assert.match((await chart.locator('.chart-legend li').first().textContent()), /\(\d[\d,]*–\d[\d,]*\) \(day 40\)$/);
  await chart.getByRole('button', { name: 'Show as table' }).click();
  assert.equal(await chart.locator('table tbody tr').count(), 41);
  // The page around the charts is checked by its own tests; here the
  // chart's own elements, at both widths.
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await checkChartAccessibility(page, '#epidemic-chart', `the results page's chart at ${width} px`);
    await screenshot(page, `chart-results-page-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  for (const id of ['epidemic-chart', 'hospital-chart', 'rt-chart', 'routes-chart']) {
    await page.locator(`#${id}`).screenshot({ path: `${screenshotDir}/chart-results-${id}.png` });
  }
  assert.deepEqual(browser.errors, []);
  await page.close();
});
