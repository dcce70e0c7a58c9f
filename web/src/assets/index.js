// The new-simulation page: a form generated from GET /api/v1/scenario, whose
// changed values live in the address bar, and the list of "My simulations".

import {
  FINAL_STATUSES, GROUPS, api, el, formatTime, labelOf, loadSchema, postJson, scenarioQuery,
  showBanner, statusBadge,
} from './app.js';
import { compareHref, comparedIds, forgetSimulation, rememberSimulation, savedSimulations, setCompared } from './saved.js';

const form = document.getElementById('scenario-form');
const banner = document.getElementById('banner');
const parametersHost = document.getElementById('parameters');
const submitButton = document.getElementById('submit');
const nameInput = document.getElementById('f-name');
const emailInput = document.getElementById('f-email');

let parameters = [];

const PRESETS = {
  none: { symptomatic_isolation: false, contact_tracing: false },
  tracing: { symptomatic_isolation: false, contact_tracing: true },
  tracing_isolation: { symptomatic_isolation: true, contact_tracing: true },
};

// ---- the form -------------------------------------------------------------

function inputId(name) {
  return `p-${name}`;
}

function rangeText(parameter, max) {
  if (parameter.type === 'boolean') return '';
  const format = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });
  return ` Range ${format.format(parameter.min)} to ${format.format(max)}.`;
}

function buildField(parameter, limits) {
  const id = inputId(parameter.name);
  const help = `${id}-help`;
  const error = `${id}-error`;
  const max = Math.min(parameter.max ?? Infinity, limits[parameter.name] ?? Infinity);
  const unit = parameter.unit ? el('span', { class: 'unit' }, ` (${parameter.unit})`) : null;
  const helpText = el('p', { id: help, class: 'help' }, parameter.description, rangeText(parameter, max));
  const errorText = el('p', { id: error, class: 'field-error', hidden: true });
  if (parameter.type === 'boolean') {
    const input = el('input', {
      id, name: parameter.name, type: 'checkbox', 'aria-describedby': `${help} ${error}`,
    });
    return el('div', { class: 'field field-checkbox' },
      el('div', { class: 'checkbox-row' }, input, el('label', { for: id }, labelOf(parameter.name))),
      helpText, errorText);
  }
  const input = el('input', {
    id,
    name: parameter.name,
    type: 'number',
    inputmode: parameter.type === 'integer' ? 'numeric' : 'decimal',
    min: parameter.min,
    max: Number.isFinite(max) ? max : null,
    step: parameter.type === 'integer' ? 1 : 'any',
    'aria-describedby': `${help} ${error}`,
  });
  return el('div', { class: 'field' }, el('label', { for: id }, labelOf(parameter.name), unit), input, helpText, errorText);
}

function buildForm(schema) {
  const groups = GROUPS.map(([group, title]) => {
    const members = schema.parameters.filter((p) => p.group === group);
    if (members.length === 0) return null;
    return el('fieldset', { class: 'group' }, el('legend', {}, title),
      el('div', { class: 'fields' }, members.map((p) => buildField(p, schema.limits || {}))));
  });
  // Any group the page does not know yet still gets a fieldset.
  const known = new Set(GROUPS.map(([group]) => group));
  const others = schema.parameters.filter((p) => !known.has(p.group));
  if (others.length) {
    groups.push(el('fieldset', { class: 'group' }, el('legend', {}, 'Other'),
      el('div', { class: 'fields' }, others.map((p) => buildField(p, schema.limits || {})))));
  }
  parametersHost.replaceChildren(...groups.filter(Boolean));
}

function inputFor(name) {
  return document.getElementById(inputId(name));
}

function setValue(parameter, value) {
  const input = inputFor(parameter.name);
  if (!input) return;
  if (parameter.type === 'boolean') input.checked = value === true;
  else input.value = String(value);
}

// Reads one input: {value} or {error} for text the browser cannot parse
// as a number; an empty number field means "use the default" (no key).
function readValue(parameter) {
  const input = inputFor(parameter.name);
  if (parameter.type === 'boolean') return { value: input.checked };
  if (input.validity.badInput) return { error: 'Enter a number.' };
  if (input.value.trim() === '') return {};
  return { value: Number(input.value) };
}

function currentScenario() {
  const scenario = {};
  const errors = [];
  for (const parameter of parameters) {
    const read = readValue(parameter);
    if (read.error) errors.push({ field: `scenario.${parameter.name}`, message: read.error });
    else if (read.value !== undefined) scenario[parameter.name] = read.value;
  }
  return { scenario, errors };
}

// Values from the address bar: "?population=5000&contact_tracing=true".
// Unknown keys are ignored; values are put into the inputs as written, so
// that a bad one is reported by the server like any other.
function applyQuery() {
  const query = new URLSearchParams(window.location.search);
  for (const parameter of parameters) {
    const raw = query.get(parameter.name);
    if (raw === null) continue;
    if (parameter.type === 'boolean') setValue(parameter, raw === 'true' || raw === '1');
    else inputFor(parameter.name).value = raw;
  }
  if (query.has('name')) nameInput.value = query.get('name');
}

function updateAddress() {
  const { scenario } = currentScenario();
  const query = scenarioQuery(scenario, parameters, { name: nameInput.value.trim() });
  const url = `${window.location.pathname}${query ? `?${query}` : ''}`;
  window.history.replaceState(null, '', url);
}

function refreshPresets() {
  const { scenario } = currentScenario();
  const allDefault = parameters.every((p) => scenario[p.name] === undefined || scenario[p.name] === p.default);
  for (const button of form.querySelectorAll('[data-preset]')) {
    const preset = button.dataset.preset;
    const on = preset === 'defaults'
      ? allDefault
      : Object.entries(PRESETS[preset]).every(([key, value]) => scenario[key] === value);
    button.setAttribute('aria-pressed', String(on));
  }
}

function applyPreset(name) {
  if (name === 'defaults') {
    for (const parameter of parameters) setValue(parameter, parameter.default);
  } else {
    for (const [key, value] of Object.entries(PRESETS[name])) {
      const parameter = parameters.find((p) => p.name === key);
      if (parameter) setValue(parameter, value);
    }
  }
  clearFieldErrors();
  updateAddress();
  refreshPresets();
}

// ---- errors ---------------------------------------------------------------

function clearFieldErrors() {
  for (const node of form.querySelectorAll('.field-error')) {
    node.hidden = true;
    node.textContent = '';
    node.removeAttribute('role');
  }
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

function fieldInput(field) {
  if (field === 'name') return nameInput;
  if (field === 'email') return emailInput;
  if (field.startsWith('scenario.')) return inputFor(field.slice('scenario.'.length));
  return null;
}

// Puts each message beside its field; returns the messages that have no
// field on this form (for the banner).
function showFieldErrors(fields) {
  clearFieldErrors();
  const unplaced = [];
  let first = null;
  for (const { field, message } of fields) {
    const input = fieldInput(String(field || ''));
    if (!input) {
      unplaced.push(`${field}: ${message}`);
      continue;
    }
    const node = document.getElementById(`${input.id}-error`);
    node.textContent = node.textContent ? `${node.textContent} ${message}` : message;
    node.hidden = false;
    node.setAttribute('role', 'alert');
    input.setAttribute('aria-invalid', 'true');
    first = first || input;
  }
  if (first) first.focus();
  return unplaced;
}

function bannerFor(error) {
  switch (error.status) {
    case 0:
      return error.message;
    case 429:
      return `Too many simulations were started from here in a short time. ${
        error.retryAfter ? `Try again in ${error.retryAfter} seconds.` : 'Try again in a minute.'} (${error.message})`;
    case 503:
      return `The service cannot take new simulations right now. ${error.message}`;
    case 400:
      return `The request was malformed: ${error.message}`;
    default:
      return `The simulation could not be started: ${error.message}`;
  }
}

async function submit(event) {
  event.preventDefault();
  showBanner(banner, null);
  const { scenario, errors } = currentScenario();
  if (errors.length) {
    showFieldErrors(errors);
    showBanner(banner, 'Some values are not numbers; see the messages beside the fields.');
    return;
  }
  const body = { scenario };
  const name = nameInput.value.trim();
  const email = emailInput.value.trim();
  if (name) body.name = name;
  if (email) body.email = email;
  submitButton.disabled = true;
  submitButton.textContent = 'Starting…';
  try {
    const created = await postJson('/api/v1/simulations', body);
    rememberSimulation({ id: created.id, name: name || 'simulation' });
    window.location.assign(created.links?.page || `/simulations/${encodeURIComponent(created.id)}`);
  } catch (error) {
    if (error.status === 422 && error.fields.length) {
      const unplaced = showFieldErrors(error.fields);
      const count = error.fields.length - unplaced.length;
      const lines = [`${count === 1 ? 'One value needs' : `${count} values need`} correcting; see the messages beside the fields.`];
      if (unplaced.length) lines.push(el('ul', {}, unplaced.map((text) => el('li', {}, text))));
      showBanner(banner, count ? lines : [error.message, lines[1]]);
    } else {
      showBanner(banner, bannerFor(error));
      banner.focus();
    }
  } finally {
    submitButton.disabled = false;
    submitButton.textContent = 'Run simulation';
  }
}

// ---- My simulations -------------------------------------------------------

const mineHost = document.getElementById('my-simulations');
const compareLink = document.getElementById('compare-link');
const statuses = new Map();  // id -> status string, or 'missing'
let pollTimer = null;

function updateCompareLink() {
  const ids = comparedIds();
  compareLink.textContent = `Compare selected (${ids.length})`;
  if (ids.length >= 2) {
    compareLink.href = compareHref(ids);
    compareLink.removeAttribute('aria-disabled');
  } else {
    compareLink.href = '/compare';
    compareLink.setAttribute('aria-disabled', 'true');
  }
}

function renderMine() {
  const entries = savedSimulations();
  if (entries.length === 0) {
    mineHost.replaceChildren(el('p', { class: 'empty' }, 'None yet: runs you start here will be listed.'));
    updateCompareLink();
    return;
  }
  const selected = new Set(comparedIds());
  const items = entries.map((entry) => {
    const status = statuses.get(entry.id);
    const label = entry.name || 'simulation';
    let badge;
    if (status === undefined) badge = el('span', { class: 'status' }, '…');
    else if (status === 'missing') badge = el('span', { class: 'status status-unknown' }, 'Not found');
    else badge = statusBadge(status);
    return el('li', { 'data-id': entry.id },
      el('input', {
        type: 'checkbox',
        'aria-label': `Compare ${label}`,
        checked: selected.has(entry.id),
        onchange: (event) => {
          setCompared(entry.id, event.target.checked);
          updateCompareLink();
        },
      }),
      el('div', { class: 'mine-main' },
        el('a', { href: `/simulations/${encodeURIComponent(entry.id)}` }, label),
        el('span', { class: 'sub' }, formatTime(entry.created_at))),
      el('div', { class: 'mine-side' },
        badge,
        el('button', {
          type: 'button',
          class: 'link-button',
          'aria-label': `Remove ${label} from this list`,
          onclick: () => {
            forgetSimulation(entry.id);
            statuses.delete(entry.id);
            renderMine();
          },
        }, 'Remove')));
  });
  mineHost.replaceChildren(el('ul', { class: 'mine-list', 'aria-label': 'My simulations' }, items));
  updateCompareLink();
}

async function refreshStatuses() {
  const entries = savedSimulations().filter((entry) => !FINAL_STATUSES.has(statuses.get(entry.id)) && statuses.get(entry.id) !== 'missing');
  await Promise.all(entries.map(async (entry) => {
    try {
      const doc = await api(`/api/v1/simulations/${encodeURIComponent(entry.id)}`);
      statuses.set(entry.id, doc.status);
    } catch (error) {
      if (error.status === 404) statuses.set(entry.id, 'missing');
    }
  }));
  renderMine();
  const pending = savedSimulations().some((entry) => !FINAL_STATUSES.has(statuses.get(entry.id)) && statuses.get(entry.id) !== 'missing');
  clearTimeout(pollTimer);
  if (pending) pollTimer = setTimeout(refreshStatuses, 5000);
}

// ---- start ----------------------------------------------------------------

async function start() {
  renderMine();
  refreshStatuses();
  form.addEventListener('submit', submit);
  for (const button of form.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => applyPreset(button.dataset.preset));
  }
  form.addEventListener('input', (event) => {
    const input = event.target;
    if (input.getAttribute('aria-invalid')) {
      input.removeAttribute('aria-invalid');
      const node = document.getElementById(`${input.id}-error`);
      if (node) {
        node.hidden = true;
        node.textContent = '';
      }
    }
    updateAddress();
    refreshPresets();
  });
  window.addEventListener('storage', () => renderMine());

  let schema;
  try {
    schema = await loadSchema();
  } catch (error) {
    parametersHost.replaceChildren(el('p', { class: 'field-error' },
      `The parameters could not be loaded: ${error.message} Reload the page to try again.`));
    submitButton.disabled = true;
    return;
  }
  parameters = schema.parameters;
  buildForm(schema);
  for (const parameter of parameters) setValue(parameter, parameter.default);
  applyQuery();
  refreshPresets();
  form.dataset.ready = 'true';
}

start();
