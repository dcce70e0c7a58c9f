// The new-simulation form: generated from the API, presets, the address as
// form state, and a rejected value shown beside its field.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openForm, screenshot, startBrowser, startServer, waitFor } from './support.js';

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
  assert.deepEqual(legends, ['Population', 'Run', 'Disease', 'Transmission', 'Interventions']);
  for (const parameter of schema.parameters) {
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
    } else {
      assert.equal(Number(await input.inputValue()), parameter.default, `default of ${parameter.name}`);
      assert.equal(Number(await input.getAttribute('min')), parameter.min, `min of ${parameter.name}`);
    }
  }
  const population = page.getByLabel(/^Population/);
  assert.equal(Number(await population.getAttribute('max')), Math.min(schema.parameters[0].max, schema.limits.population));
  await screenshot(page, 'form');
  await page.close();
});

test('presets set the interventions and the address holds the changed values', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url);
  await page.getByRole('button', { name: 'Tracing + symptomatic isolation' }).click();
  assert.equal(await page.locator('[name="contact_tracing"]').isChecked(), true);
  assert.equal(await page.locator('[name="symptomatic_isolation"]').isChecked(), true);
  await page.getByLabel(/^Population/).fill('5000');
  let query = await addressQuery(page);
  assert.equal(query.get('population'), '5000');
  assert.equal(query.get('contact_tracing'), 'true');
  assert.equal(query.get('symptomatic_isolation'), 'true');
  assert.equal(query.has('days'), false, 'defaults stay out of the address');

  await page.getByRole('button', { name: 'Contact tracing', exact: true }).click();
  assert.equal(await page.locator('[name="symptomatic_isolation"]').isChecked(), false);
  assert.equal(await page.getByLabel(/^Population/).inputValue(), '5000', 'an intervention preset keeps other values');

  await page.getByRole('button', { name: 'Original defaults' }).click();
  assert.equal(await page.locator('[name="contact_tracing"]').isChecked(), false);
  query = await addressQuery(page);
  assert.equal([...query.keys()].length, 0);
  assert.equal(await page.getByRole('button', { name: 'Original defaults' }).getAttribute('aria-pressed'), 'true');
  await page.close();
});

test('a shared link prefills the form', async () => {
  const page = await browser.newPage();
  await openForm(page, server.url, 'population=5000&contact_tracing=true&name=shared');
  assert.equal(await page.getByLabel(/^Population/).inputValue(), '5000');
  assert.equal(await page.locator('[name="contact_tracing"]').isChecked(), true);
  assert.equal(await page.getByLabel(/^Name/).inputValue(), 'shared');
  assert.equal(await page.getByRole('button', { name: 'Contact tracing', exact: true }).getAttribute('aria-pressed'), 'true');
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
    return page.evaluate(() => document.activeElement.textContent === 'Contact tracing');
  }, 'the "Contact tracing" preset to take the focus', 10000, 0);
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('[name="contact_tracing"]').isChecked(), true);
  // Space toggles the checkbox that has the focus.
  await page.locator('[name="symptomatic_isolation"]').focus();
  await page.keyboard.press('Space');
  assert.equal(await page.locator('[name="symptomatic_isolation"]').isChecked(), true);
  assert.equal(await page.getByRole('button', { name: 'Tracing + symptomatic isolation' }).getAttribute('aria-pressed'), 'true');
  await page.close();
});

test('the form is usable on a phone-sized screen', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await openForm(page, server.url);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await screenshot(page, 'form-phone');
  await page.close();
});
