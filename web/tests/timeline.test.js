// The policy timeline in the web UI: the form's editor (add, reorder and
// remove items, each with its own fields, client-side range checks and the
// API's messages at their fields, the address as state), presets as
// timelines, the results page's charts shaded by the days each item was on,
// and the comparison's timelines side by side.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  openForm, screenshot, startBrowser, startServer, submitForm, waitFor, waitForFinalStatus,
} from './support.js';

let server;
let browser;
let schema;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  schema = await (await fetch(`${server.url}/api/v1/scenario`)).json();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const items = (page) => page.locator('#timeline-items > li');
const legends = (page) => page.locator('#timeline-items > li legend').allTextContents();
const types = (page) => items(page).evaluateAll((lis) => lis.map((li) => li.dataset.type));
const pressed = (page) => page.locator('[data-preset][aria-pressed="true"]').allTextContents();

// A field of item `index` by its name in the scenario ("coverage",
// "start_day", "start_when-above", ...).
function field(page, index, name) {
  return items(page).nth(index).locator(`[id$="-${name}"]:is(input, select)`).first();
}

// The error line of a field (its id + "-error").
async function errorOf(page, locator) {
  const id = await locator.getAttribute('id');
  return page.locator(`[id="${id}-error"]`);
}

// The timeline the address holds (the page's own address: history
// changes reach page.url() asynchronously).
async function addressTimeline(page) {
  const raw = await page.evaluate(() => new URLSearchParams(window.location.search).get('interventions'));
  return raw === null ? null : JSON.parse(raw);
}

// Every input of the editor: [id without its item key, value or checked].
async function editorState(page) {
  return page.locator('#timeline-items :is(input, select)').evaluateAll((nodes) => nodes.map((node) => [
    node.id.replace(/^tl-\d+-/, ''), node.type === 'checkbox' || node.type === 'radio' ? node.checked : node.value]));
}

test('items are added, reordered and removed from the keyboard, each with the fields of its type', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url);
  // The types offered are the API's, with their titles.
  const offered = await page.locator('#timeline-type option').evaluateAll((options) => options.map((o) => [o.value, o.textContent]));
  assert.deepEqual(offered, schema.interventions.types.map((t) => [t.name, t.title]));
  assert.equal(await page.locator('#timeline-empty').isVisible(), true);

  for (const type of ['distancing', 'closure', 'vaccination']) {
    await page.locator('#timeline-type').selectOption(type);
    await page.locator('#timeline-add').focus();
    await page.keyboard.press('Enter');
  }
  assert.deepEqual(await legends(page), ['Item 1: Distancing', 'Item 2: Closure', 'Item 3: Vaccination']);
  assert.equal(await page.locator('#timeline-empty').isVisible(), false);
  assert.match(await page.locator('#timeline-status').textContent(), /Added item 3: Vaccination/);

  // Each item has the fields of its type, with the API's defaults, ranges,
  // units and descriptions.
  const vaccination = schema.interventions.types.find((t) => t.name === 'vaccination');
  for (const parameter of vaccination.parameters) {
    const input = field(page, 2, parameter.name);
    const id = await input.getAttribute('id');
    assert.ok(id.endsWith(`-${parameter.name}`), id);
    if (parameter.type === 'choice') {
      assert.deepEqual(await input.locator('option').evaluateAll((os) => os.map((o) => o.value)), parameter.choices);
      assert.equal(await input.inputValue(), parameter.default);
    } else if (parameter.type === 'boolean') {
      assert.equal(await input.isChecked(), parameter.default);
    } else {
      assert.equal(Number(await input.inputValue()), parameter.default, parameter.name);
      assert.equal(Number(await input.getAttribute('min')), parameter.min, `min of ${parameter.name}`);
      assert.equal(Number(await input.getAttribute('max')), parameter.max, `max of ${parameter.name}`);
    }
    const label = await page.locator(`label[for="${id}"]`).textContent();
    if (parameter.unit) assert.ok(label.includes(parameter.unit), `unit of ${parameter.name}: ${label}`);
    assert.ok((await page.locator(`[id="${id}-help"]`).textContent()).includes(parameter.description), `help of ${parameter.name}`);
  }

  // Move the vaccination up twice: the button keeps the focus until it
  // cannot move further, then "Move down" takes it.
  await page.getByRole('button', { name: 'Move item 3 up' }).focus();
  await page.keyboard.press('Enter');
  assert.deepEqual(await types(page), ['distancing', 'vaccination', 'closure']);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move item 2 up');
  await page.keyboard.press('Enter');
  assert.deepEqual(await types(page), ['vaccination', 'distancing', 'closure']);
  assert.equal(await page.getByRole('button', { name: 'Move item 1 up' }).isDisabled(), true);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move item 1 down');
  assert.match(await page.locator('#timeline-status').textContent(), /moved to position 1 of 3/);
  assert.deepEqual(await legends(page), ['Item 1: Vaccination', 'Item 2: Distancing', 'Item 3: Closure']);

  // Remove the distancing; the focus goes to the next item's Remove.
  await page.getByRole('button', { name: 'Remove item 2' }).focus();
  await page.keyboard.press('Enter');
  assert.deepEqual(await types(page), ['vaccination', 'closure']);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Remove item 2');
  assert.match(await page.locator('#timeline-status').textContent(), /removed\. 2 items left/);

  // The address holds the timeline: only what differs from the defaults.
  assert.deepEqual(await addressTimeline(page), [{ type: 'vaccination', start_day: 0 }, { type: 'closure', start_day: 0 }]);
  await field(page, 1, 'name').fill('Schools shut');
  assert.deepEqual(await legends(page), ['Item 1: Vaccination', 'Item 2: Closure (Schools shut)']);
  await field(page, 1, 'start_day').fill('20');
  await field(page, 1, 'end_day').fill('60');
  await field(page, 1, 'workplaces').fill('0.25');
  await field(page, 0, 'order').selectOption('random');
  await field(page, 0, 'start_when').check();
  await field(page, 0, 'start_when-metric').selectOption('hospitalized_per_100k');
  await field(page, 0, 'start_when-above').fill('15');
  assert.deepEqual(await addressTimeline(page), [
    { type: 'vaccination', start_when: { metric: 'hospitalized_per_100k', above: 15 }, order: 'random' },
    { type: 'closure', name: 'Schools shut', start_day: 20, end_day: 60, workplaces: 0.25 },
  ]);
  await screenshot(page, 'timeline-editor');

  // Reloading the address restores the editor exactly.
  const before = await editorState(page);
  await page.reload();
  await page.waitForSelector('form[data-ready="true"]');
  assert.deepEqual(await legends(page), ['Item 1: Vaccination', 'Item 2: Closure (Schools shut)']);
  assert.deepEqual(await editorState(page), before);
  assert.equal(await field(page, 0, 'start_when-above').isVisible(), true, 'the trigger is shown');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('bad values are flagged at their fields all at once, by the page and by the API', async () => {
  const page = await browser.newPage();
  const timeline = [
    // Out of range, and an end before the start: the page can tell.
    { type: 'distancing', start_day: 10, end_day: 5, community_contacts_factor: 1.5 },
    // Only the API can tell: protection against severe disease must
    // include protection against infection ...
    { type: 'vaccination', start_day: 0, efficacy_infection: 0.9, efficacy_severe: 0.5 },
    // ... and isolation on a positive test needs a testing item.
    { type: 'case_isolation', start_day: 0, isolate_on: 'positive_test' },
  ];
  await openForm(page, server.url, `days=20&population=2000&interventions=${encodeURIComponent(JSON.stringify(timeline))}`);
  assert.deepEqual(await types(page), ['distancing', 'vaccination', 'case_isolation']);
  await page.getByRole('button', { name: 'Run simulation' }).click();

  const factor = field(page, 0, 'community_contacts_factor');
  const endDay = field(page, 0, 'end_day');
  for (const [input, pattern] of [[factor, /between 0 and 1/], [endDay, /before the start day \(10\)/]]) {
    const error = await errorOf(page, input);
    assert.equal(await error.isVisible(), true);
    assert.match(await error.textContent(), pattern);
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
  }
  assert.equal(await page.locator('#banner').isVisible(), true);
  assert.match(await page.locator('#banner').textContent(), /2 values need correcting/);
  assert.equal(new URL(page.url()).pathname, '/');
  // The focus goes to the first field in error (the end day comes before the parameters).
  assert.equal(await page.evaluate(() => document.activeElement.id.replace(/^tl-\d+-/, '')), 'end_day');
  // The summary lists both, each naming its item and linking to its field.
  const links = page.locator('#banner .error-summary a');
  assert.deepEqual(await links.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('href').slice(1))),
    [await endDay.getAttribute('id'), await factor.getAttribute('id')]);
  for (const text of await links.allTextContents()) assert.match(text, /^Item 1: Distancing\b.*: /);
  await links.nth(1).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), await factor.getAttribute('id'));

  // Typing a good value clears its message at once; a bad one is flagged at once.
  await factor.fill('0.5');
  assert.equal(await (await errorOf(page, factor)).isVisible(), false);
  await factor.fill('-1');
  assert.equal(await (await errorOf(page, factor)).isVisible(), true);
  await factor.fill('0.5');
  await endDay.fill('15');
  assert.equal(await (await errorOf(page, endDay)).isVisible(), false);

  // Now only the API objects, to two items at once: each message at its field.
  await page.getByRole('button', { name: 'Run simulation' }).click();
  const severe = field(page, 1, 'efficacy_severe');
  await page.waitForSelector(`[id="${await severe.getAttribute('id')}"][aria-invalid="true"]`);
  const severeError = await errorOf(page, severe);
  assert.match(await severeError.textContent(), /at least .*infection/i);
  assert.ok((await severe.getAttribute('aria-describedby')).split(' ').includes(await severeError.getAttribute('id')));
  const itemError = items(page).nth(2).locator('.item-error');
  assert.equal(await itemError.isVisible(), true);
  assert.match(await itemError.textContent(), /testing/);
  // No other field carries a message.
  assert.equal(await page.locator('#timeline .field-error:not([hidden])').count(), 2);
  assert.match(await page.locator('#banner').textContent(), /2 values need correcting/);
  assert.equal(new URL(page.url()).pathname, '/');
  await screenshot(page, 'timeline-invalid');

  // Moving an item clears the API's messages: they named the old places.
  await page.getByRole('button', { name: 'Move item 3 up' }).click();
  assert.equal(await page.locator('#timeline .field-error:not([hidden])').count(), 0);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('an item\'s fields take the labels the API gives', async () => {
  const page = await browser.newPage();
  // The description with a label on one parameter of each type, where the
  // server gives none; an older server's names still make labels.
  const labelled = new Map();
  await page.route('**/api/v1/scenario', async (route) => {
    const response = await route.fetch();
    const described = await response.json();
    for (const type of described.interventions.types) {
      for (const parameter of type.parameters) {
        if (parameter.label === undefined && !labelled.has(type.name)) parameter.label = `Label of ${parameter.name}`;
        if (parameter.label !== undefined && !labelled.has(type.name)) labelled.set(type.name, parameter);
      }
    }
    await route.fulfill({ response, json: described });
  });
  await openForm(page, server.url);
  for (const [type, parameter] of labelled) {
    await page.locator('#timeline-type').selectOption(type);
    await page.getByRole('button', { name: 'Add item' }).click();
    const input = field(page, (await items(page).count()) - 1, parameter.name);
    const id = await input.getAttribute('id');
    assert.ok((await page.locator(`label[for="${id}"]`).textContent()).startsWith(parameter.label), `${type}: ${parameter.name}`);
  }
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('the editor stops at the most items the API takes, and says when the address grows too long to share', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url);
  const max = schema.interventions.max_items;
  // Items from a script, as many as the API takes: clicking would do the same, slower.
  await page.locator('#timeline-type').selectOption('distancing');
  await page.evaluate((n) => {
    for (let i = 0; i < n; i += 1) document.getElementById('timeline-add').click();
  }, max);
  assert.equal(await items(page).count(), max);
  assert.equal(await page.locator('#timeline-add').isDisabled(), true);
  const note = page.locator('#share-note');
  assert.doesNotMatch(await note.textContent(), /longer than the server accepts/);
  // Long names push the address past what the server reads.
  await page.evaluate(() => {
    const inputs = [...document.querySelectorAll('#timeline-items input[id$="-name"]')].slice(0, 60);
    inputs.forEach((input, i) => {
      input.value = `A long name for item number ${i} `.padEnd(80, 'x');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  });
  assert.match(await note.textContent(), /longer than the server accepts \(8,192 characters\)/);
  const length = await page.evaluate(() => window.location.pathname.length + 1 + new URLSearchParams(window.location.search).toString().length);
  assert.ok(length > 8192, `${length} characters`);
  // Removing an item enables Add again.
  await page.getByRole('button', { name: `Remove item ${max}` }).click();
  assert.equal(await page.locator('#timeline-add').isDisabled(), false);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

// The API's presets that are policy timelines.
const timelinePresets = () => schema.presets.filter((preset) => Array.isArray(preset.scenario.interventions));

test('presets are timelines, and one preset at most is lit', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'contact_tracing=true');
  assert.deepEqual(await pressed(page), []);
  const presets = timelinePresets();
  assert.deepEqual(presets.map((preset) => preset.title),
    ['Lockdown at day 30 for 6 weeks', 'Test, trace and isolate', 'Vaccinate the oldest first', 'Lockdown when cases rise']);

  for (const preset of presets) {
    await page.getByRole('button', { name: preset.title, exact: true }).click();
    const timeline = preset.scenario.interventions;
    assert.deepEqual(await types(page), timeline.map((item) => item.type), preset.name);
    // Every value of every item is in its field.
    for (const [index, item] of timeline.entries()) {
      assert.equal(await field(page, index, 'name').inputValue(), item.name);
      assert.equal(await field(page, index, 'start_day').inputValue(), String(item.start_day ?? 0));
      assert.equal(await field(page, index, 'end_day').inputValue(), item.end_day === undefined ? '' : String(item.end_day));
      for (const [which, bound] of [['start_when', 'above'], ['end_when', 'below']]) {
        assert.equal(await field(page, index, which).isChecked(), Boolean(item[which]), `${preset.name} ${which}`);
        if (!item[which]) continue;
        assert.equal(await field(page, index, `${which}-metric`).inputValue(), item[which].metric);
        assert.equal(Number(await field(page, index, `${which}-${bound}`).inputValue()), item[which][bound]);
      }
      const type = schema.interventions.types.find((t) => t.name === item.type);
      for (const parameter of type.parameters) {
        const input = field(page, index, parameter.name);
        const value = item[parameter.name] ?? parameter.default;
        if (parameter.type === 'boolean') assert.equal(await input.isChecked(), value, parameter.name);
        else if (parameter.type === 'choice') assert.equal(await input.inputValue(), value, parameter.name);
        else if (value === null) assert.equal(await page.locator(`[id="${await input.getAttribute('id')}-null"]`).isChecked(), true, parameter.name);
        else assert.equal(Number(await input.inputValue()), value, `${preset.name}: ${parameter.name}`);
      }
    }
    // A timeline preset is the whole of the interventions: the shorthands go off.
    assert.equal(await page.locator('[name="contact_tracing"]').isChecked(), false);
    assert.deepEqual(await pressed(page), [preset.title]);
  }
  await screenshot(page, 'timeline-preset');

  // A change to the timeline: no preset holds any more.
  const triggered = presets[presets.length - 1];
  await field(page, 0, 'end_when-below').fill(String(triggered.scenario.interventions[0].end_when.below + 1));
  assert.deepEqual(await pressed(page), []);
  // The preset's address brings it back, lit.
  await page.getByRole('button', { name: triggered.title, exact: true }).click();
  const link = await page.evaluate(() => window.location.search.slice(1));
  const again = await browser.newPage();
  await openForm(again, server.url, link);
  assert.deepEqual(await pressed(again), [triggered.title]);
  await again.close();
  // "No intervention" empties the timeline; "Defaults" is lit alone then.
  await page.getByRole('button', { name: 'No intervention', exact: true }).click();
  assert.equal(await items(page).count(), 0);
  assert.deepEqual(await pressed(page), ['No intervention']);
  await page.reload();
  await page.waitForSelector('form[data-ready="true"]');
  assert.deepEqual(await pressed(page), ['Defaults']);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

// The days of each item in any run, from the results: Map id -> [[a, b]].
function rangesOf(results) {
  const days = new Map();
  for (const replicate of results.replicates) {
    for (const row of replicate.days) {
      assert.ok(Array.isArray(row.interventions_active), `day ${row.day} of run ${replicate.replicate} lists the items on`);
      for (const id of row.interventions_active) {
        if (!days.has(id)) days.set(id, new Set());
        days.get(id).add(row.day);
      }
    }
  }
  const out = new Map();
  for (const [id, set] of days) {
    const list = [];
    for (const day of [...set].sort((a, b) => a - b)) {
      const last = list[list.length - 1];
      if (last && day === last[1] + 1) last[1] = day;
      else list.push([day, day]);
    }
    out.set(id, list);
  }
  return out;
}

// The colour of the plot's canvas at day `day`, `dy` CSS pixels below
// the top of the plotting area, as seen on white: [r, g, b].
function pixelAt(page, chart, day, days, dy) {
  return page.locator(`#${chart} .u-wrap`).evaluate((wrap, [d, n, y]) => {
    const over = wrap.querySelector('.u-over');
    const canvas = wrap.querySelector('canvas');
    const ratio = canvas.width / canvas.clientWidth;
    const x = over.offsetLeft + (d / n) * over.clientWidth;
    const pixel = canvas.getContext('2d').getImageData(Math.round(x * ratio), Math.round((over.offsetTop + y) * ratio), 1, 1).data;
    // The canvas is transparent where nothing is drawn: composite on the
    // white of the page's section.
    const alpha = pixel[3] / 255;
    return [0, 1, 2].map((i) => Math.round(pixel[i] * alpha + 255 * (1 - alpha)));
  }, [day, days, dy]);
}

let lockdownId = null;
let plainId = null;

test('the charts shade the days each item was on in any run, with a legend entry per item', async () => {
  const page = await browser.newPage();
  const days = 80;
  const lockdown = schema.presets.find((preset) => preset.name === 'lockdown');
  const names = lockdown.scenario.interventions.map((item) => item.name);
  await openForm(page, server.url, `population=5000&days=${days}&replicates=2&name=lockdown`);
  await page.getByRole('button', { name: lockdown.title }).click();
  // A shorthand switch adds an item after the timeline's own.
  await page.locator('[name="contact_tracing"]').check();
  lockdownId = await submitForm(page);
  assert.equal(await waitForFinalStatus(page), 'succeeded');

  const base = `${server.url}/api/v1/simulations/${lockdownId}`;
  const doc = await (await fetch(base)).json();
  assert.deepEqual(doc.timeline.map((item) => [item.type, item.name]),
    [['closure', names[0]], ['distancing', names[1]], ['contact_tracing', 'contact_tracing']]);
  const results = await (await fetch(`${base}/results?format=json`)).json();
  assert.equal(results.replicates.length, 2);
  const ranges = rangesOf(results);
  // Fixed days: on from day 30 to day 71, in both runs; the shorthand from day 0.
  assert.deepEqual(ranges.get(0), [[30, 71]]);
  assert.deepEqual(ranges.get(1), [[30, 71]]);
  assert.deepEqual(ranges.get(2), [[0, days]]);

  // Every chart has a legend entry per item, with its days. The page says
  // "succeeded" before it has read the finished run's stored days, which is
  // where the days of the entries come from: wait for them.
  const charts = ['epidemic-chart', 'hospital-chart', 'rt-chart', 'routes-chart'];
  await page.waitForFunction((ids) => ids.every((id) => {
    const entries = [...document.querySelectorAll(`#${id} .chart-legend li.legend-period`)];
    return entries.length === 3 && entries.every((li) => li.textContent.includes('on days'));
  }), charts);
  for (const chart of charts) {
    const entries = await page.locator(`#${chart} .chart-legend li.legend-period`).allTextContents();
    assert.deepEqual(entries, [`${names[0]}on days 30–71`, `${names[1]}on days 30–71`, `contact_tracingon days 0–${days}`], chart);
  }
  assert.equal(await page.getAttribute('#epidemic-chart', 'data-periods'), '3');
  // The captions say that the shading covers any of the runs.
  assert.match(await page.locator('#epidemic-summary').textContent(), /Shaded: the days on which each policy timeline item was on in any of the 2 runs\./);
  assert.match(await page.locator('#timeline-on-heading').textContent(), /in any of 2 runs/);
  const rows = await page.locator('#timeline-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('.timeline-on').textContent));
  assert.deepEqual(rows, ['days 30–71', 'days 30–71', `days 0–${days}`]);

  // The shading is drawn: item 0's strip along the top of the plot is
  // coloured on day 47 and not on day 13; the full-height shade too.
  await page.locator('#epidemic-chart').scrollIntoViewIfNeeded();
  const on = await pixelAt(page, 'epidemic-chart', 47, days, 1);
  const off = await pixelAt(page, 'epidemic-chart', 13, days, 1);
  assert.ok(off.every((v) => v > 200), `day 13, top lane: ${off}`);
  assert.ok(Math.min(...on) < 200, `day 47, top lane: ${on}`);
  // Under the lines: at most rows (all but grid lines and the curve), day
  // 47 (shaded) differs from day 77 (not); odd days, off the grid lines.
  const heights = [30, 45, 65, 85, 105, 125, 145];
  let differ = 0;
  for (const y of heights) {
    const inside = await pixelAt(page, 'rt-chart', 47, days, y);
    const outside = await pixelAt(page, 'rt-chart', 77, days, y);
    if (inside.some((v, i) => v !== outside[i])) differ += 1;
  }
  assert.ok(differ >= heights.length - 2, `the full-height shade: ${differ} of ${heights.length} rows differ`);
  await page.locator('#timeline-section').scrollIntoViewIfNeeded();
  await screenshot(page, 'timeline-shaded');

  // The edit link brings the timeline back to the form.
  const edit = new URL(await page.getAttribute('#edit-link', 'href'), server.url);
  assert.deepEqual(JSON.parse(edit.searchParams.get('interventions')).map((item) => item.type), ['closure', 'distancing']);
  await page.goto(edit.href);
  await page.waitForSelector('form[data-ready="true"]');
  assert.deepEqual(await pressed(page), []);
  assert.deepEqual(await types(page), ['closure', 'distancing']);
  assert.equal(await page.locator('[name="contact_tracing"]').isChecked(), true);

  // A second run without a timeline, for the comparison.
  await openForm(page, server.url, `population=5000&days=${days}&name=plain`);
  plainId = await submitForm(page);
  assert.equal(await waitForFinalStatus(page), 'succeeded');
  assert.equal(await page.locator('#timeline-section').isVisible(), false);
  assert.equal(await page.locator('#epidemic-chart .chart-legend li.legend-period').count(), 0);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('the comparison shows each run\'s timeline side by side', async () => {
  assert.ok(lockdownId && plainId, 'the runs of the previous test');
  const page = await browser.newPage();
  await page.goto(`${server.url}/compare?ids=${lockdownId},${plainId}`);
  await page.waitForSelector('body[data-state="ready"]');
  const blocks = page.locator('#timelines .timeline-run');
  assert.equal(await blocks.count(), 2);
  assert.match(await blocks.nth(0).locator('h3').textContent(), /lockdown/);
  const listed = await blocks.nth(0).locator('li').allTextContents();
  const names = schema.presets.find((preset) => preset.name === 'lockdown').scenario.interventions.map((item) => item.name);
  assert.deepEqual(listed, [
    `${names[0]} (Closure): on days 30–71 in any of 2 runs`,
    `${names[1]} (Distancing): on days 30–71 in any of 2 runs`,
    'contact_tracing (Contact tracing): on days 0–80 in any of 2 runs',
  ]);
  assert.equal(await blocks.nth(0).locator('.strip-lane').count(), 3);
  assert.equal(await blocks.nth(0).locator('.strip-lane').nth(0).locator('.strip-bar').count(), 1);
  assert.match(await blocks.nth(1).textContent(), /No timeline items/);
  await page.locator('#timelines').scrollIntoViewIfNeeded();
  await screenshot(page, 'compare-timelines');
  await waitFor(async () => (await page.locator('#compare-chart .chart-legend li:not(.legend-band)').count()) === 2, 'the chart legend', 5000);
  assert.deepEqual(browser.errors, []);
  await page.close();
});
