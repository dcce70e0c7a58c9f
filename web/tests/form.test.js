// The new-simulation form: generated from the API, presets (the API's
// "Original model" among them), arrays as tables, optional keys, the
// address as form state, and rejected values shown beside their fields.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkBothWidths, openForm, screenshot, startBrowser, startServer, waitFor } from './support.js';

// "age_shares" -> "Age shares", as the page labels it.
const labelOf = (name) => name.charAt(0).toUpperCase() + name.slice(1).replaceAll('_', ' ');

let server;
let browser;

// Opens every "Advanced" part of the form, for tests of fields inside them.
async function openAdvancedParts(page) {
  await page.evaluate(() => { for (const details of document.querySelectorAll('details.advanced')) details.open = true; });
}

// The query string in the address bar (read in the page: history changes
// reach page.url() asynchronously).
async function addressQuery(page) {
  return new URLSearchParams(await page.evaluate(() => window.location.search));
}

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the form is generated from the parameters, grouped and labelled', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url);
  const schema = await (await fetch(`${server.url}/api/v1/scenario`)).json();

  const legends = await page.locator('#parameters fieldset > legend').allTextContents();
  assert.deepEqual(legends, ['Population', 'Run', 'Disease', 'Severity', 'Transmission', 'Interventions']);
  for (const parameter of schema.parameters) {
    if (parameter.type === 'array') {
      // One input per entry, each labelled with its entry's label.
      const entries = page.locator(`#p-${parameter.name} tbody input`);
      assert.equal(await entries.count(), parameter.length, parameter.name);
      for (let i = 0; i < parameter.length; i += 1) {
        const entry = page.getByLabel(`${parameter.label || labelOf(parameter.name)}, ${parameter.labels[i]}`, { exact: true });
        assert.equal(Number(await entry.inputValue()), parameter.default[i], `${parameter.name}[${i}]`);
        assert.equal(Number(await entry.getAttribute('data-min')), parameter.min, `min of ${parameter.name}[${i}]`);
      }
      const help = await page.locator(`#p-${parameter.name}-help`).textContent();
      assert.ok(help.includes(parameter.description), `help of ${parameter.name}`);
      continue;
    }
    const input = page.locator(`[name="${parameter.name}"]`);
    assert.equal(await input.count(), 1, parameter.name);
    // Every input has a label and a description, and numbers carry their range.
    const id = await input.getAttribute('id');
    assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `label of ${parameter.name}`);
    const describedBy = await input.getAttribute('aria-describedby');
    const help = await page.locator(`#${describedBy.split(' ').find((id) => id.endsWith('-help'))}`).textContent();
    assert.ok(help.includes(parameter.description), `help of ${parameter.name}`);
    if (parameter.type === 'boolean') {
      assert.equal(await input.isChecked(), parameter.default);
    } else if (parameter.nullable) {
      // Unset by default: the fallback is chosen, the number left empty.
      assert.equal(parameter.default, null, `default of ${parameter.name}`);
      assert.equal(await page.locator(`#p-${parameter.name}-null`).isChecked(), true, `${parameter.name} unset`);
      assert.equal(await input.inputValue(), '', `default of ${parameter.name}`);
    } else {
      assert.equal(Number(await input.inputValue()), parameter.default, `default of ${parameter.name}`);
      assert.equal(Number(await input.getAttribute('data-min')), parameter.min, `min of ${parameter.name}`);
    }
  }
  const population = page.getByLabel(/^Population/);
  assert.equal(Number(await population.getAttribute('data-max')), Math.min(schema.parameters[0].max, schema.limits.population));
  await screenshot(page, 'form');
  await page.close();
});

test('presets set the interventions and the address holds the changed values', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'contact_tracing=true');
  const pressed = () => page.locator('[data-preset][aria-pressed="true"]').allTextContents();
  await page.getByRole('button', { name: 'Test, trace and isolate' }).click();
  // An intervention preset replaces the timeline and switches the shorthands off.
  assert.equal(await page.locator('[name="contact_tracing"]').isChecked(), false);
  assert.equal(await page.locator('[name="symptomatic_isolation"]').isChecked(), false);
  assert.deepEqual(await page.locator('#timeline-items > li').evaluateAll((lis) => lis.map((li) => li.dataset.type)),
    ['testing', 'case_isolation', 'contact_tracing']);
  assert.deepEqual(await pressed(), ['Test, trace and isolate']);
  await page.getByLabel(/^Population/).fill('5000');
  let query = await addressQuery(page);
  assert.equal(query.get('population'), '5000');
  assert.equal(query.has('contact_tracing'), false, 'defaults stay out of the address');
  assert.equal(query.has('days'), false, 'defaults stay out of the address');
  assert.deepEqual(JSON.parse(query.get('interventions')).map((item) => item.type), ['testing', 'case_isolation', 'contact_tracing']);

  await page.getByRole('button', { name: 'Lockdown at day 30 for 6 weeks' }).click();
  assert.equal(await page.locator('#timeline-items > li').count(), 2);
  assert.equal(await page.getByLabel(/^Population/).inputValue(), '5000', 'an intervention preset keeps other values');
  assert.deepEqual(await pressed(), ['Lockdown at day 30 for 6 weeks']);

  await page.getByRole('button', { name: 'Defaults', exact: true }).click();
  assert.equal(await page.locator('#timeline-items > li').count(), 0);
  query = await addressQuery(page);
  assert.equal([...query.keys()].length, 0);
  // The defaults hold no intervention either, but only one preset is lit.
  assert.deepEqual(await pressed(), ['Defaults']);
  await page.close();
});

test('a shared link prefills the form', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'population=5000&contact_tracing=true&name=shared');
  assert.equal(await page.getByLabel(/^Population/).inputValue(), '5000');
  assert.equal(await page.locator('[name="contact_tracing"]').isChecked(), true);
  assert.equal(await page.getByLabel(/^Name/).inputValue(), 'shared');
  // No preset switches tracing on by the shorthand.
  assert.equal(await page.locator('[data-preset][aria-pressed="true"]').count(), 0);
  await page.close();
});

test('a rejected value is reported beside its field', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'days=20');
  // Each value is in its range, so the page sends it; the server objects to
  // more initial infections than agents.
  await page.getByLabel(/^Population/).fill('5');
  let posted = 0;
  page.on('request', (request) => { if (request.method() === 'POST' && request.url().endsWith('/api/v1/simulations')) posted += 1; });
  await page.getByRole('button', { name: 'Run simulation' }).click();

  const infected = page.locator('#p-initial_infected');
  await page.waitForSelector('#p-initial_infected[aria-invalid="true"]');
  assert.equal(posted, 1, 'the server was asked');
  const error = page.locator('#p-initial_infected-error');
  assert.equal(await error.isVisible(), true);
  // The summary is the one alert; the message is read with its field.
  assert.equal(await page.locator('#banner').getAttribute('role'), 'alert');
  assert.equal(await error.getAttribute('role'), null);
  assert.match(await error.textContent(), /\S/);
  assert.ok((await infected.getAttribute('aria-describedby')).includes('p-initial_infected-error'));
  // Every field the server named has its own visible message.
  const invalid = await page.locator('[aria-invalid="true"]').count();
  assert.ok(invalid >= 1);
  assert.equal(await page.locator('.field-error:not([hidden])').count(), invalid);
  assert.equal(new URL(page.url()).pathname, '/', 'the page stays on the form');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'p-initial_infected', 'focus moves to the field');
  // The server's messages are in the summary too, each a link to its field.
  const link = page.locator('#banner .error-summary a[href="#p-initial_infected"]');
  assert.equal(await link.count(), 1);
  assert.ok((await link.textContent()).includes(await error.textContent()));
  assert.equal(await page.locator('#banner .error-summary li').count(), invalid);
  await screenshot(page, 'form-invalid');

  // Correcting the value clears the message.
  await infected.fill('1');
  assert.equal(await error.isVisible(), false);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('the presets and the form work from the keyboard', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  // Tab on to the preset, as someone without a mouse would.
  await waitFor(async () => {
    await page.keyboard.press('Tab');
    return page.evaluate(() => document.activeElement.textContent === 'Test, trace and isolate');
  }, 'the "Test, trace and isolate" preset to take the focus', 10000, 0);
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#timeline-items > li').count(), 3);
  const preset = page.getByRole('button', { name: 'Test, trace and isolate' });
  assert.equal(await preset.getAttribute('aria-pressed'), 'true');
  // Space toggles the checkbox that has the focus; the form no longer holds the preset.
  await page.locator('[name="symptomatic_isolation"]').focus();
  await page.keyboard.press('Space');
  assert.equal(await page.locator('[name="symptomatic_isolation"]').isChecked(), true);
  assert.equal(await preset.getAttribute('aria-pressed'), 'false');
  await page.close();
});

test('the form is usable on a phone-sized screen', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await openForm(page, server.url);
  // With timeline items and their fields too.
  await page.getByRole('button', { name: 'Lockdown when cases rise' }).click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await screenshot(page, 'form-phone');
  await page.close();
});

// The rows of an array's table: [label, value] each.
async function tableRows(page, name) {
  return page.locator(`#p-${name} tbody tr[data-index]`).evaluateAll((trs) => trs.map((tr) => [
    tr.querySelector('th').textContent.replace(/^.*, /, '').trim(), tr.querySelector('input').value]));
}

test('arrays are small tables, one row per label', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url);
  await openAdvancedParts(page);
  const schema = await (await fetch(`${server.url}/api/v1/scenario`)).json();
  const ages = schema.parameters.find((p) => p.name === 'age_shares');
  assert.equal(ages.type, 'array');
  assert.deepEqual(ages.labels, ['0-9', '10-19', '20-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80+']);

  const rows = await tableRows(page, 'age_shares');
  assert.equal(rows.length, 9);
  assert.deepEqual(rows.map(([label]) => label), ages.labels);
  assert.deepEqual(rows.map(([, value]) => Number(value)), ages.default);
  assert.deepEqual((await tableRows(page, 'household_size_shares')).map(([label]) => label), ['1', '2', '3', '4', '5', '6+']);
  // The severity arrays sit in their own group.
  const severity = page.locator('#parameters fieldset', { has: page.locator('legend', { hasText: 'Severity' }) });
  for (const name of ['hospital_by_age', 'critical_by_age', 'fatality_by_age']) {
    assert.equal(await severity.locator(`#p-${name} tbody tr[data-index]`).count(), 9, name);
  }
  assert.match(await page.locator('#p-age_shares-sum').textContent(), /^Sum: 1$/);

  // An entry the client can tell is out of range is flagged while typing,
  // and the form is not sent.
  const entry = page.locator('#p-age_shares-3');
  await entry.fill('1.5');
  const rowError = page.locator('#p-age_shares-3-error');
  assert.equal(await rowError.isVisible(), true);
  assert.match(await rowError.textContent(), /between 0 and 1/);
  assert.equal(await entry.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#p-age_shares-sum').textContent(), /must be 1/);
  await page.getByRole('button', { name: 'Run simulation' }).click();
  assert.equal(await page.locator('#banner').isVisible(), true);
  assert.equal(new URL(page.url()).pathname, '/');
  await entry.fill(String(ages.default[3]));
  assert.equal(await rowError.isVisible(), false);
  assert.equal(await entry.getAttribute('aria-invalid'), null);
  await screenshot(page, 'form-arrays');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('shares that do not sum to 1, and a bad entry, are reported at their table and row', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'days=20&population=2000');
  await openAdvancedParts(page);
  const schema = await (await fetch(`${server.url}/api/v1/scenario`)).json();
  const ages = schema.parameters.find((p) => p.name === 'age_shares');
  // In range entry by entry, so only the server can object: to the sum.
  await page.locator('#p-age_shares-3').fill('0.5');
  assert.equal(await page.locator('#p-age_shares-3-error').isVisible(), false);
  // A death rate above the share admitted to hospital in that band: the
  // server names the entry, fatality_by_age[8].
  await page.locator('#p-fatality_by_age-8').fill('0.9');
  await page.getByRole('button', { name: 'Run simulation' }).click();

  const sumError = page.locator('#p-age_shares-error');
  await sumError.waitFor();
  assert.match(await sumError.textContent(), /sum to 1/);
  assert.ok((await page.locator('#p-age_shares-3').getAttribute('aria-describedby')).split(' ').includes('p-age_shares-error'));
  assert.equal(await page.locator('#p-age_shares-3').getAttribute('aria-invalid'), 'true');
  const rowError = page.locator('#p-fatality_by_age-8-error');
  assert.equal(await rowError.isVisible(), true);
  assert.match(await rowError.textContent(), /\S/);
  assert.equal(await page.locator('#p-fatality_by_age-8').getAttribute('aria-invalid'), 'true');
  // Other rows of that table carry no message.
  assert.equal(await page.locator('#p-fatality_by_age-7-error').isVisible(), false);
  assert.equal(await page.locator('#banner').isVisible(), true);
  assert.equal(new URL(page.url()).pathname, '/');
  await screenshot(page, 'form-arrays-invalid');

  // Fixing the sum clears the table's message.
  await page.locator('#p-age_shares-3').fill(String(ages.default[3]));
  assert.equal(await sumError.isVisible(), false);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('the "Original model" preset comes from the API and fills arrays and optional keys', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url);
  const schema = await (await fetch(`${server.url}/api/v1/scenario`)).json();
  const original = schema.presets.find((preset) => preset.name === 'original');
  assert.equal(original.title, 'Original model');
  // Unset by default: household sizes come from their shares.
  assert.equal(await page.locator('#p-household_size-null').isChecked(), true);

  const button = page.getByRole('button', { name: 'Original model', exact: true });
  await button.click();
  assert.equal(await button.getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('#p-household_size-fixed').isChecked(), true);
  assert.equal(await page.locator('#p-household_size').inputValue(), '3');
  assert.equal(await page.locator('#p-mortality_rate').inputValue(), '0.01');
  assert.deepEqual((await tableRows(page, 'age_shares')).map(([, value]) => Number(value)), original.scenario.age_shares);
  for (const [key, value] of Object.entries(original.scenario)) {
    if (Array.isArray(value) || value === null) continue;
    const input = page.locator(`[name="${key}"]`);
    assert.equal(Number(await input.inputValue()), value, key);
  }
  const query = await addressQuery(page);
  assert.equal(query.get('household_size'), '3');
  assert.equal(query.get('age_shares'), '0,0,0,1,0,0,0,0,0');
  assert.equal(query.get('mortality_rate'), '0.01');
  assert.ok(!(await page.evaluate(() => window.location.search)).includes('%2C'), 'commas stay readable');
  await screenshot(page, 'form-original-model');

  // The link brings the same form back.
  const link = await page.evaluate(() => window.location.search.slice(1));
  const again = await browser.newPage();
  await openForm(again, server.url, link);
  assert.equal(await again.getByRole('button', { name: 'Original model', exact: true }).getAttribute('aria-pressed'), 'true');
  assert.equal(await again.locator('#p-household_size').inputValue(), '3');
  await again.close();

  // Back to the defaults: the optional keys are unset again.
  await page.getByRole('button', { name: 'Defaults', exact: true }).click();
  assert.equal(await page.locator('#p-household_size-null').isChecked(), true);
  assert.equal(await button.getAttribute('aria-pressed'), 'false');
  assert.equal([...(await addressQuery(page)).keys()].length, 0);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('optional keys: a fixed value or the fallback, in the address as a number or "null"', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'asymptomatic_fraction=0.3&household_size=null&hospital_by_age=0,0,0,0,0,0,0,0,0');
  await openAdvancedParts(page);
  assert.equal(await page.locator('#p-asymptomatic_fraction-fixed').isChecked(), true);
  assert.equal(await page.locator('#p-asymptomatic_fraction').inputValue(), '0.3');
  assert.equal(await page.locator('#p-household_size-null').isChecked(), true);
  assert.deepEqual((await tableRows(page, 'hospital_by_age')).map(([, value]) => value), Array(9).fill('0'));
  // The fallback is named after what it falls back to.
  assert.match(await page.locator('label[for="p-asymptomatic_fraction-null"]').textContent(), /by age/i);

  // Typing a number picks the fixed value; choosing the fallback unsets it.
  await page.locator('#p-household_size').fill('4');
  assert.equal(await page.locator('#p-household_size-fixed').isChecked(), true);
  let query = await addressQuery(page);
  assert.equal(query.get('household_size'), '4');
  await page.locator('label[for="p-asymptomatic_fraction-null"]').click();
  query = await addressQuery(page);
  assert.equal(query.has('asymptomatic_fraction'), false);
  assert.equal(query.get('hospital_by_age'), '0,0,0,0,0,0,0,0,0');
  await page.close();
});

// ---- limits, labels, errors, dependent fields, advanced groups, estimate ----

// What GET /api/v1/scenario says of each parameter's label, advanced and
// depends_on, where the server leaves a key out: these tests then read the
// same description whatever the server's age.
const LABELS = { population: 'Population', days: 'Days', latent_days: 'Latent period', contact_tracing: 'Contact tracing' };
const ADVANCED = new Set(['office_size_sd', 'incubation_sd_days', 'presymptomatic_sd_days', 'recovery_sd_days',
  'hospital_sd_days', 'critical_sd_days', 'infectiousness_dispersion']);
const DEPENDS = { tracing_coverage: 'contact_tracing', tracing_delay_days: 'contact_tracing' };

// Opens the form with the description completed as above; returns the
// description the page read.
async function openDescribedForm(page, query = '') {
  let described = null;
  await page.route('**/api/v1/scenario', async (route) => {
    const response = await route.fetch();
    const schema = await response.json();
    for (const parameter of schema.parameters) {
      if (parameter.label === undefined) parameter.label = LABELS[parameter.name] ?? labelOf(parameter.name);
      if (parameter.advanced === undefined) parameter.advanced = ADVANCED.has(parameter.name);
      if (parameter.depends_on === undefined) parameter.depends_on = DEPENDS[parameter.name] ?? null;
    }
    described = schema;
    await route.fulfill({ response, json: schema });
  });
  await openForm(page, server.url, query);
  return described;
}

const numberText = (value) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 }).format(value);

async function visibleErrors(page) {
  return page.locator('.field-error:not([hidden])').evaluateAll((nodes) => nodes.map((node) => node.textContent));
}

test('help and messages give the same range in the same words, and every problem is flagged at once with a summary', async () => {
  const page = await browser.newPage();
  const schema = await openDescribedForm(page);
  const population = schema.parameters.find((p) => p.name === 'population');
  const range = `${numberText(population.min)} to ${numberText(population.max)}`;
  const days = schema.parameters.find((p) => p.name === 'days');

  // The help states the merged range the API gives.
  assert.match(await page.locator('#p-population-help').textContent(), new RegExp(`range ${range}\\.`));
  // Three problems: out of range, blank, not a number.
  await page.locator('#p-population').fill('0');
  await page.locator('#p-days').fill('');
  await page.locator('#p-latent_days').fill('abc');
  await page.getByRole('button', { name: 'Run simulation' }).click();

  const invalid = await page.locator('[aria-invalid="true"]').evaluateAll((nodes) => nodes.map((node) => node.id));
  assert.deepEqual(invalid.sort(), ['p-days', 'p-latent_days', 'p-population']);
  assert.equal(await page.locator('#p-population-error').textContent(),
    `${population.label} must be between ${numberText(population.min)} and ${numberText(population.max)}.`);
  // A blank field is not silently its default.
  assert.equal(await page.locator('#p-days-error').textContent(), `${days.label} is required.`);
  assert.match(await page.locator('#p-latent_days-error').textContent(), /must be a number, not “abc”/);
  assert.equal((await visibleErrors(page)).length, 3);
  // The summary at the top lists each problem as a link to its field.
  const banner = page.locator('#banner');
  assert.equal(await banner.isVisible(), true);
  assert.match(await banner.textContent(), /3 values need correcting/);
  const links = banner.locator('.error-summary a');
  assert.deepEqual(await links.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('href'))),
    ['#p-population', '#p-days', '#p-latent_days']);
  assert.equal(await links.nth(0).textContent(), await page.locator('#p-population-error').textContent());
  assert.equal(await page.evaluate(() => document.activeElement.id), 'p-population', 'the first field has the focus');
  await links.nth(2).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'p-latent_days');
  // Nothing was sent: the page stays.
  assert.equal(new URL(page.url()).pathname, '/');
  await checkBothWidths(page, 'form-errors');

  // Correcting one clears its message and leaves the others.
  await page.locator('#p-days').fill('30');
  assert.equal(await page.locator('#p-days').getAttribute('aria-invalid'), null);
  assert.equal((await visibleErrors(page)).length, 2);
  // A preset puts good values back: the messages and their summary go.
  await page.getByRole('button', { name: 'Defaults', exact: true }).click();
  assert.equal((await visibleErrors(page)).length, 0);
  assert.equal(await page.locator('#banner').isVisible(), false);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('a bad value in the address is put into its field as written and flagged', async () => {
  const page = await browser.newPage();
  const schema = await openDescribedForm(page, 'population=abc&days=99999');
  const days = schema.parameters.find((p) => p.name === 'days');
  const population = schema.parameters.find((p) => p.name === 'population');
  assert.equal(await page.locator('#p-population').inputValue(), 'abc');
  assert.equal(await page.locator('#p-population').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#p-population-error').textContent(), `${population.label} must be a number, not “abc”.`);
  assert.equal(await page.locator('#p-days').inputValue(), '99999');
  assert.equal(await page.locator('#p-days-error').textContent(),
    `${days.label} must be between ${numberText(days.min)} and ${numberText(days.max)}.`);
  // The address keeps them as written until they are corrected; a field
  // with no usable value does not hold its default, so "Defaults" is not lit
  // ("No intervention", which names neither, is).
  assert.equal((await addressQuery(page)).get('population'), 'abc');
  assert.deepEqual(await page.locator('[data-preset][aria-pressed="true"]').allTextContents(), ['No intervention']);
  await page.locator('#p-population').fill('5000');
  assert.equal((await addressQuery(page)).get('population'), '5000');
  assert.equal(await page.locator('#p-population-error').isVisible(), false);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('the fields of a switched-off intervention are disabled, with a hint, until it is on', async () => {
  const page = await browser.newPage();
  const schema = await openDescribedForm(page);
  const tracing = schema.parameters.find((p) => p.name === 'contact_tracing');
  assert.equal(schema.parameters.find((p) => p.name === 'tracing_delay_days').depends_on, 'contact_tracing');
  const delay = page.locator('#p-tracing_delay_days');
  const hint = page.locator('#p-tracing_delay_days-hint');
  assert.equal(await delay.isDisabled(), true);
  assert.equal(await hint.isVisible(), true);
  assert.equal(await hint.textContent(), `Turn on ${tracing.label} to change this.`);
  assert.ok((await delay.getAttribute('aria-describedby')).split(' ').includes('p-tracing_delay_days-hint'));
  // A field that depends on nothing is not touched.
  for (const parameter of schema.parameters.filter((p) => !p.depends_on && p.type !== 'array' && p.type !== 'boolean')) {
    assert.equal(await page.locator(`#p-${parameter.name}`).isDisabled(), false, parameter.name);
  }

  await page.getByLabel(tracing.label, { exact: true }).check();
  assert.equal(await delay.isDisabled(), false);
  assert.equal(await hint.isVisible(), false);
  await delay.fill('4');
  assert.equal((await addressQuery(page)).get('tracing_delay_days'), '4');
  // A bad value in a field that is then switched off no longer blocks the run.
  await page.locator('#p-tracing_coverage').fill('2');
  await page.getByRole('button', { name: 'Run simulation' }).click();
  assert.equal(await page.locator('#p-tracing_coverage').getAttribute('aria-invalid'), 'true');
  await page.getByLabel(tracing.label, { exact: true }).uncheck();
  assert.equal(await page.locator('#p-tracing_coverage').getAttribute('aria-invalid'), null);
  assert.equal(await page.locator('#p-tracing_coverage-error').isVisible(), false);
  await checkBothWidths(page, 'form-switched-off');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('rarely changed parameters are in a collapsed "Advanced" part, opened for a changed value or an error', async () => {
  const page = await browser.newPage();
  const schema = await openDescribedForm(page);
  const advanced = schema.parameters.filter((p) => p.advanced);
  assert.ok(advanced.length > 0);
  // Every group with advanced parameters has one closed part holding exactly them.
  const parts = page.locator('#parameters details.advanced');
  const groups = new Set(advanced.map((p) => p.group));
  assert.equal(await parts.count(), groups.size);
  for (const parameter of advanced) {
    const inside = await page.locator(`#parameters details.advanced [name="${parameter.name}"], #parameters details.advanced #p-${parameter.name}`).count();
    assert.ok(inside >= 1, `${parameter.name} is in an advanced part`);
    assert.equal(await page.locator(`#p-${parameter.name}`).isVisible(), false, `${parameter.name} is hidden`);
  }
  assert.equal(await parts.evaluateAll((nodes) => nodes.filter((node) => node.open).length), 0);
  assert.equal(await page.locator('#p-population').isVisible(), true, 'other fields stay in view');
  await checkBothWidths(page, 'form-default');

  // From the keyboard: the summary opens its part.
  const first = advanced[0];
  const summary = page.locator(`details.advanced:has(#p-${first.name}) > summary`);
  await summary.focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator(`#p-${first.name}`).isVisible(), true);

  // A changed value in the address opens its part alone.
  const changed = advanced.find((p) => p.type === 'real' && !p.nullable && p.group === 'disease');
  const other = advanced.find((p) => p.group !== changed.group);
  const again = await browser.newPage();
  await openDescribedForm(again, `${changed.name}=${changed.min}`);
  assert.equal(await again.locator(`#p-${changed.name}`).isVisible(), true);
  assert.equal(await again.locator(`#p-${other.name}`).isVisible(), false);
  // An error in a closed part opens it, and its link in the summary reaches it.
  await again.locator(`details.advanced:has(#p-${changed.name}) > summary`).click();
  await again.locator('#p-population').fill('1000');
  await again.evaluate(() => { for (const details of document.querySelectorAll('details.advanced')) details.open = false; });
  await again.locator(`#p-${changed.name}`).evaluate((input) => { input.value = '-1'; });
  await again.getByRole('button', { name: 'Run simulation' }).click();
  assert.equal(await again.locator(`#p-${changed.name}`).isVisible(), true);
  assert.equal(await again.evaluate(() => document.activeElement.id), `p-${changed.name}`);
  // All parts open, for the screenshots.
  await again.evaluate(() => { for (const details of document.querySelectorAll('details.advanced')) details.open = true; });
  await checkBothWidths(again, 'form-advanced-open');
  assert.deepEqual(browser.errors, []);
  await again.close();
  await page.close();
});

// POST /api/v1/scenario/estimate answered by the test: R0 ten times the
// household risk, so that the test knows what the page should show.
async function fakeEstimate(page, requests) {
  await page.route('**/api/v1/scenario/estimate', async (route) => {
    const body = route.request().postDataJSON();
    requests.push(body);
    if (body.scenario.population < 10) {
      const message = 'must be at least 10 agents, got 5';
      await route.fulfill({ status: 422, json: { error: { code: 'invalid_scenario', message, fields: [{ field: 'scenario.population', message }] } } });
      return;
    }
    const risk = body.scenario.home_infection_risk ?? 0.14;
    const r0 = 10 * risk;
    await route.fulfill({
      json: {
        r0, generation_time_days: 5.3, growth_rate_per_day: Math.log(r0) / 5.3,
        doubling_time_days: r0 > 1 ? 5.3 * Math.log(2) / Math.log(r0) : null,
        halving_time_days: r0 > 1 ? null : 5.3 * Math.log(2) / -Math.log(r0),
      },
    });
  });
}

test('an estimate of R0 and the doubling time follows the values, "—" while one is invalid', async () => {
  const page = await browser.newPage();
  const requests = [];
  await fakeEstimate(page, requests);
  await openDescribedForm(page);
  const box = page.locator('#estimate');
  const r0 = page.locator('#estimate-r0');
  await waitFor(async () => (await r0.textContent()) === '1.40', 'the first estimate');
  assert.equal(await box.isVisible(), true);
  assert.equal(await page.locator('#estimate-time').textContent(), `${(5.3 * Math.log(2) / Math.log(1.4)).toFixed(1)} days`);
  // A polite live region, with its explanation.
  assert.equal(await page.locator('#estimate [aria-live]').getAttribute('aria-live'), 'polite');
  assert.equal(await page.locator('#estimate [aria-live] #estimate-r0').count(), 1);
  assert.match(await box.textContent(), /no intervention/);
  assert.equal(requests[0].scenario.population, 100000);
  assert.equal(requests[0].scenario.interventions, undefined);

  await page.locator('#p-home_infection_risk').fill('0.3');
  await waitFor(async () => (await r0.textContent()) === '3.00', 'the estimate of the new value');
  assert.equal(requests.at(-1).scenario.home_infection_risk, 0.3);
  await checkBothWidths(page, 'form-estimate');

  // An invalid value: a dash, and a word on why.
  const asked = requests.length;
  await page.locator('#p-latent_days').fill('abc');
  await waitFor(async () => (await r0.textContent()) === '—', 'a dash while a value is invalid');
  assert.equal(await page.locator('#estimate-time').textContent(), '—');
  assert.equal(await page.locator('#estimate-note').isVisible(), true);
  assert.equal(requests.length, asked, 'nothing is asked of the server for an invalid scenario');
  await page.locator('#p-latent_days').fill('3');
  // A value only the server objects to: a dash and its message.
  await page.locator('#p-population').fill('5');
  await waitFor(async () => (await page.locator('#estimate-note').textContent()).includes('Population: must be at least 10 agents'), 'the server\'s message');
  assert.equal(await r0.textContent(), '—');
  await page.locator('#p-population').fill('5000');
  // Below 1, the epidemic shrinks: a halving time.
  await page.locator('#p-home_infection_risk').fill('0.05');
  await waitFor(async () => (await r0.textContent()) === '0.50', 'the estimate below 1');
  assert.equal(await page.locator('#estimate-time-label').textContent(), 'Halving time');
  assert.equal(await page.locator('#estimate-note').isVisible(), false);
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('without the estimate route (an older server) the estimate stays hidden', async () => {
  const page = await browser.newPage();
  let asked = 0;
  await page.route('**/api/v1/scenario/estimate', (route) => {
    asked += 1;
    return route.fulfill({ status: 404, json: { error: { code: 'not_found', message: 'no such route' } } });
  });
  await openDescribedForm(page);
  await waitFor(() => asked > 0, 'the page to ask for an estimate');
  await page.locator('#p-home_infection_risk').fill('0.3');
  assert.equal(await page.locator('#estimate').isVisible(), false);
  assert.equal(asked, 1, 'it is not asked again');
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test('one preset looks lit: the pressed one, not the one under the pointer', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url);
  const look = (name) => page.getByRole('button', { name, exact: true }).evaluate((button) => {
    const style = getComputedStyle(button);
    return { background: style.backgroundColor, border: style.borderTopColor, tick: getComputedStyle(button, '::before').content };
  });
  await page.getByRole('button', { name: 'Original model', exact: true }).click();
  const lit = await look('Original model');
  // The pointer over another preset does not make it look like the lit one.
  await page.getByRole('button', { name: 'No intervention', exact: true }).hover();
  const hovered = await look('No intervention');
  // Hover once tinted a preset nearly as the lit one (#eef2f0 beside
  // #e3f0ee): two looked lit. Now it stays white.
  assert.equal(hovered.background, 'rgb(255, 255, 255)');
  assert.notEqual(hovered.background, lit.background);
  assert.notEqual(hovered.border, lit.border);
  assert.equal(hovered.tick, 'none');
  assert.notEqual(lit.tick, 'none');
  assert.deepEqual(await page.locator('[data-preset][aria-pressed="true"]').allTextContents(), ['Original model']);
  // The accessible names are the titles alone (the tick is decoration).
  assert.equal(await page.getByRole('button', { name: 'Original model', exact: true }).count(), 1);
  await page.close();
});

test('the estimate comes from the server\'s route, asked once typing pauses', async () => {
  const page = await browser.newPage();
  const asked = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/api/v1/scenario/estimate')) asked.push(request.postDataJSON());
  });
  await openForm(page, server.url);
  const r0 = page.locator('#estimate-r0');
  const number = async () => Number.parseFloat(await r0.textContent());
  await waitFor(async () => Number.isFinite(await number()), 'the first estimate');
  assert.equal(await page.locator('#estimate').isVisible(), true);
  assert.match(await page.locator('#estimate-time').textContent(), /^\d[\d,]*(\.\d)? days$/);
  const before = await number();
  // Four keystrokes, one request once they stop.
  const count = asked.length;
  await page.locator('#p-home_infection_risk').fill('');
  await page.locator('#p-home_infection_risk').pressSequentially('0.45');
  await waitFor(async () => (await number()) > before, 'a higher R0 for a higher household risk');
  assert.ok(asked.length - count < 5, `${asked.length - count} requests for 5 changes`);
  assert.equal(asked.at(-1).scenario.home_infection_risk, 0.45);

  // Opened with a bad value: the estimate is there, with a dash.
  const flagged = await browser.newPage();
  await openForm(flagged, server.url, 'population=abc');
  await waitFor(() => flagged.locator('#estimate').isVisible(), 'the estimate box');
  assert.equal(await flagged.locator('#estimate-r0').textContent(), '—');
  assert.match(await flagged.locator('#estimate-note').textContent(), /values flagged/);
  await flagged.locator('#p-population').fill('5000');
  await waitFor(async () => Number.isFinite(Number.parseFloat(await flagged.locator('#estimate-r0').textContent())), 'an estimate once corrected');
  assert.equal(await flagged.locator('#estimate-note').isVisible(), false);
  await flagged.close();
  assert.deepEqual(browser.errors, []);
  await page.close();
});
