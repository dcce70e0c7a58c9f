// The new-simulation form: generated from the API, presets (the API's
// "Original model" among them), arrays as tables, optional keys, the
// address as form state, and rejected values shown beside their fields.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openForm, screenshot, startBrowser, startServer, waitFor } from './support.js';

// "age_shares" -> "Age shares", as the page labels it.
const labelOf = (name) => name.charAt(0).toUpperCase() + name.slice(1).replaceAll('_', ' ');

let server;
let browser;

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
        const entry = page.getByLabel(`${labelOf(parameter.name)}, ${parameter.labels[i]}`, { exact: true });
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
    const help = await page.locator(`#${describedBy.split(' ')[0]}`).textContent();
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
  await page.getByLabel(/^Population/).fill('-5');
  await page.getByRole('button', { name: 'Run simulation' }).click();

  const population = page.getByLabel(/^Population/);
  await page.waitForSelector('[name="population"][aria-invalid="true"]');
  const error = page.locator('#p-population-error');
  assert.equal(await error.isVisible(), true);
  assert.equal(await error.getAttribute('role'), 'alert');
  assert.match(await error.textContent(), /\S/);
  assert.ok((await population.getAttribute('aria-describedby')).includes('p-population-error'));
  // Every field the server named (here possibly also initial_infected, which
  // must not exceed the population) has its own visible message.
  const invalid = await page.locator('[aria-invalid="true"]').count();
  assert.ok(invalid >= 1);
  assert.equal(await page.locator('.field-error:not([hidden])').count(), invalid);
  assert.equal(new URL(page.url()).pathname, '/', 'the page stays on the form');
  assert.equal(await page.evaluate(() => document.activeElement?.name), 'population', 'focus moves to the field');
  await screenshot(page, 'form-invalid');

  // Correcting the value clears the message.
  await population.fill('1000');
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
  const entry = page.getByLabel('Age shares, 30-39', { exact: true });
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
  const schema = await (await fetch(`${server.url}/api/v1/scenario`)).json();
  const ages = schema.parameters.find((p) => p.name === 'age_shares');
  // In range entry by entry, so only the server can object: to the sum.
  await page.getByLabel('Age shares, 30-39', { exact: true }).fill('0.5');
  assert.equal(await page.locator('#p-age_shares-3-error').isVisible(), false);
  // A death rate above the share admitted to hospital in that band: the
  // server names the entry, fatality_by_age[8].
  await page.getByLabel('Fatality by age, 80+', { exact: true }).fill('0.9');
  await page.getByRole('button', { name: 'Run simulation' }).click();

  const sumError = page.locator('#p-age_shares-error');
  await sumError.waitFor();
  assert.match(await sumError.textContent(), /sum to 1/);
  assert.equal(await sumError.getAttribute('role'), 'alert');
  assert.equal(await page.getByLabel('Age shares, 30-39', { exact: true }).getAttribute('aria-invalid'), 'true');
  const rowError = page.locator('#p-fatality_by_age-8-error');
  assert.equal(await rowError.isVisible(), true);
  assert.match(await rowError.textContent(), /\S/);
  assert.equal(await page.getByLabel('Fatality by age, 80+', { exact: true }).getAttribute('aria-invalid'), 'true');
  // Other rows of that table carry no message.
  assert.equal(await page.locator('#p-fatality_by_age-7-error').isVisible(), false);
  assert.equal(await page.locator('#banner').isVisible(), true);
  assert.equal(new URL(page.url()).pathname, '/');
  await screenshot(page, 'form-arrays-invalid');

  // Fixing the sum clears the table's message.
  await page.getByLabel('Age shares, 30-39', { exact: true }).fill(String(ages.default[3]));
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
