// The new-simulation page: a form generated from GET /api/v1/scenario, whose
// changed values live in the address bar, and the list of "My simulations".

import {
  FINAL_STATUSES, GROUPS, api, el, formatTime, labelOf, loadSchema, nullChoiceLabel, postJson, readableQuery, sameValue,
  scenarioQuery, showBanner, statusBadge,
} from './app.js';
import { compareHref, comparedIds, forgetSimulation, rememberSimulation, savedSimulations, setCompared } from './saved.js';
import { runName } from './naming.js';
import { sameTimeline, typesOf } from './timeline.js';
import { TimelineEditor } from './timeline-editor.js';

const form = document.getElementById('scenario-form');
const banner = document.getElementById('banner');
const parametersHost = document.getElementById('parameters');
const submitButton = document.getElementById('submit');
const nameInput = document.getElementById('f-name');
const emailInput = document.getElementById('f-email');

let parameters = [];
let schemaPresets = [];  // the API's presets: [{name, title, description, scenario}]
let timeline = null;  // the TimelineEditor
let timelineTypes = new Map();
let lastPreset = null;  // the preset applied last, highlighted while the form still matches it

// The longest request target the server reads (cpp-httplib's limit).
const ADDRESS_LIMIT = 8192;
const SHARE_NOTE = 'The address of this page holds the values you changed, so you can share it.';

// "No intervention": an empty timeline and the flat shorthands off. The
// timelines of the other intervention presets ("Lockdown at day 30 for 6
// weeks", ...) come from the API's presets, as does "Original model";
// "defaults" resets every value.
const FLAT_OFF = { symptomatic_isolation: false, contact_tracing: false };
const PRESETS = {
  none: { values: FLAT_OFF, timeline: [] },
};

// ---- the form -------------------------------------------------------------

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 });

function inputId(name) {
  return `p-${name}`;
}

function entryId(name, index) {
  return `p-${name}-${index}`;
}

function isArray(parameter) {
  return parameter.type === 'array';
}

// A parameter's label: the API's `label`, or one made from its name (an
// older server).
function labelFor(parameter) {
  return parameter.label || labelOf(parameter.name);
}

// The range a parameter takes, worded the same way in its help and in its
// error message: "1 to 10,000,000" / "between 1 and 10,000,000".
function rangeText(parameter, max) {
  if (parameter.type === 'boolean') return '';
  const each = isArray(parameter) ? ' each' : '';
  const whole = parameter.type === 'integer' || parameter.items === 'integer' ? 'Whole number, r' : 'R';
  return ` ${whole}ange${each} ${numberFormat.format(parameter.min)} to ${numberFormat.format(max)}.`;
}

// A number as typed: the number, NaN when it is not one, or null when empty.
// The inputs are text inputs (with a numeric keyboard), so that a value
// from the address is kept as written and can be flagged.
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
function parseNumber(text) {
  const trimmed = String(text).trim();
  if (trimmed === '') return null;
  return NUMBER.test(trimmed) ? Number(trimmed) : NaN;
}

// The client's check of a number typed for `parameter` (what `label`
// names): a message, or null. `max` is the merged maximum.
function numberProblem(parameter, text, max, label) {
  const value = parseNumber(text);
  if (value === null) return `${label} is required.`;
  if (Number.isNaN(value)) return `${label} must be a number, not “${String(text).trim()}”.`;
  if ((parameter.type === 'integer' || parameter.items === 'integer') && !Number.isInteger(value)) {
    return `${label} must be a whole number.`;
  }
  if (value < parameter.min || value > max) {
    return `${label} must be between ${numberFormat.format(parameter.min)} and ${numberFormat.format(max)}.`;
  }
  return null;
}

function maxOf(parameter, limits) {
  return Math.min(parameter.max ?? Infinity, limits[parameter.name] ?? Infinity);
}

function numberInput(parameter, attributes, max) {
  const integer = parameter.type === 'integer';
  return el('input', {
    type: 'text',
    inputmode: integer && parameter.min >= 0 ? 'numeric' : 'decimal',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-min': parameter.min,
    'data-max': Number.isFinite(max) ? max : null,
    class: 'number',
    ...attributes,
  });
}

function labelWithUnit(parameter) {
  return [labelFor(parameter), parameter.unit ? el('span', { class: 'unit' }, ` (${parameter.unit})`) : null];
}

function buildField(parameter, limits) {
  if (isArray(parameter)) return buildArrayField(parameter, limits);
  const id = inputId(parameter.name);
  const help = `${id}-help`;
  const error = `${id}-error`;
  const max = maxOf(parameter, limits);
  const helpText = el('p', { id: help, class: 'help' }, parameter.description, rangeText(parameter, max));
  const errorText = el('p', { id: error, class: 'field-error', hidden: true });
  if (parameter.type === 'boolean') {
    const input = el('input', {
      id, name: parameter.name, type: 'checkbox', 'aria-describedby': `${help} ${error}`,
    });
    return el('div', { class: 'field field-checkbox' },
      el('div', { class: 'checkbox-row' }, input, el('label', { for: id }, labelFor(parameter))),
      helpText, errorText);
  }
  const input = numberInput(parameter, { id, name: parameter.name, 'aria-describedby': `${help} ${error}` }, max);
  if (parameter.nullable) return buildNullableField(parameter, input, helpText, errorText);
  return el('div', { class: 'field' }, el('label', { for: id }, labelWithUnit(parameter)), input, helpText, errorText);
}

// An optional key: "By age (...)" (null, the key's fallback) or a fixed
// value typed into the number input. Typing a value picks "Fixed value".
function buildNullableField(parameter, input, helpText, errorText) {
  const id = inputId(parameter.name);
  const mode = `${parameter.name}-mode`;
  const labelId = `${id}-label`;
  const unset = el('input', { type: 'radio', id: `${id}-null`, name: mode, value: 'null' });
  const fixed = el('input', { type: 'radio', id: `${id}-fixed`, name: mode, value: 'fixed' });
  input.classList.add('nullable-value');
  // Runs before the form's own input handler, which then sees "fixed".
  input.addEventListener('input', () => {
    if (!fixed.checked) {
      fixed.checked = true;
      syncNullable(parameter);
    }
  });
  unset.addEventListener('change', () => syncNullable(parameter));
  fixed.addEventListener('change', () => {
    syncNullable(parameter);
    input.focus();
  });
  return el('div', { class: 'field field-nullable', 'data-param': parameter.name },
    el('label', { for: id, id: labelId }, labelWithUnit(parameter)),
    el('div', { class: 'choices', role: 'radiogroup', 'aria-labelledby': labelId },
      el('div', { class: 'choice-row' }, unset, el('label', { for: unset.id }, nullChoiceLabel(parameter, parameters))),
      el('div', { class: 'choice-row' }, fixed, el('label', { for: fixed.id }, 'Fixed value'))),
    input, helpText, errorText);
}

// Dims the number input of an optional key while its fallback is chosen.
function syncNullable(parameter) {
  const input = inputFor(parameter.name);
  const unset = document.getElementById(`${inputId(parameter.name)}-null`);
  if (input && unset) input.classList.toggle('unused', unset.checked);
}

// "0-9", ... -> "Age"; "1", ..., "6+" of household sizes -> "Home size".
function entryHeading(parameter) {
  const labels = parameter.labels || [];
  if (labels[0] === '0-9') return 'Age';
  if (parameter.name.startsWith('household_size')) return 'Home size';
  return 'Entry';
}

function isShares(parameter) {
  return isArray(parameter) && parameter.name.endsWith('_shares');
}

// An array: a small table, one row per label with its own input and a row
// for that entry's error under it. Shares show their running sum.
function buildArrayField(parameter, limits) {
  const id = inputId(parameter.name);
  const help = `${id}-help`;
  const error = `${id}-error`;
  const sum = `${id}-sum`;
  const max = maxOf(parameter, limits);
  const length = parameter.length ?? (parameter.default || []).length;
  const labels = Array.from({ length }, (_, i) => parameter.labels?.[i] ?? String(i + 1));
  const rows = labels.flatMap((label, i) => {
    const entry = entryId(parameter.name, i);
    const describedBy = [`${entry}-error`, isShares(parameter) ? sum : null, error, help].filter(Boolean).join(' ');
    const input = numberInput(parameter, {
      id: entry,
      name: `${parameter.name}[${i}]`,
      'data-param': parameter.name,
      'data-index': i,
      'aria-describedby': describedBy,
    }, max);
    return [
      el('tr', { 'data-index': i },
        el('th', { scope: 'row' }, el('label', { for: entry },
          el('span', { class: 'visually-hidden' }, `${labelFor(parameter)}, `), label)),
        el('td', {}, input)),
      el('tr', { class: 'entry-error-row', id: `${entry}-error-row`, hidden: true },
        el('td', { colspan: 2 }, el('p', { id: `${entry}-error`, class: 'field-error', hidden: true }))),
    ];
  });
  return el('div', { class: 'field field-array', id, 'data-param': parameter.name },
    el('span', { class: 'field-label', id: `${id}-label` }, labelWithUnit(parameter)),
    el('table', { class: 'array-table', 'aria-labelledby': `${id}-label`, 'aria-describedby': help },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, entryHeading(parameter)),
        el('th', { scope: 'col' }, parameter.unit ? labelOf(parameter.unit) : 'Value'))),
      el('tbody', {}, rows)),
    isShares(parameter) ? el('p', { id: sum, class: 'array-sum', 'aria-live': 'polite' }) : null,
    el('p', { id: error, class: 'field-error', hidden: true }),
    el('p', { id: help, class: 'help' }, parameter.description, rangeText(parameter, max)));
}

function fieldsOf(members, limits) {
  const scalars = members.filter((p) => !isArray(p));
  const arrays = members.filter(isArray);
  return [
    scalars.length ? el('div', { class: 'fields' }, scalars.map((p) => buildField(p, limits))) : null,
    arrays.length ? el('div', { class: 'fields array-fields' }, arrays.map((p) => buildField(p, limits))) : null,
  ];
}

// A fieldset per group; its rarely changed parameters (`advanced`) in a
// collapsed "Advanced" part, opened when it holds a changed value or an
// error (see openAdvanced).
function buildGroup(title, members, limits) {
  const basic = members.filter((p) => !p.advanced);
  const advanced = members.filter((p) => p.advanced);
  const more = advanced.length
    ? el('details', { class: 'advanced', 'data-members': advanced.map((p) => p.name).join(' ') },
      el('summary', {}, `Advanced ${title.toLowerCase()} settings`,
        el('span', { class: 'count' }, ` (${advanced.length})`)),
      el('div', { class: 'advanced-body' }, fieldsOf(advanced, limits)))
    : null;
  return el('fieldset', { class: 'group' }, el('legend', {}, title), fieldsOf(basic, limits), more);
}

function buildForm(schema) {
  const limits = schema.limits || {};
  const groups = GROUPS.map(([group, title]) => {
    const members = schema.parameters.filter((p) => p.group === group);
    return members.length ? buildGroup(title, members, limits) : null;
  });
  // Any group the page does not know yet still gets a fieldset.
  const known = new Set(GROUPS.map(([group]) => group));
  const others = schema.parameters.filter((p) => !known.has(p.group));
  if (others.length) groups.push(buildGroup('Other', others, limits));
  parametersHost.replaceChildren(...groups.filter(Boolean));
  buildDependencies();
}

// The box of a parameter's field (its label, inputs, help and messages).
function boxOf(parameter) {
  if (isArray(parameter)) return document.getElementById(inputId(parameter.name));
  return inputFor(parameter.name)?.closest('.field') ?? null;
}

// A parameter that only matters while a switch is on (`depends_on`) gets
// a hint, "Turn on Contact tracing to change this", shown while the switch
// is off; its inputs are disabled then.
function buildDependencies() {
  for (const parameter of parameters) {
    const toggle = parameters.find((p) => p.name === parameter.depends_on && p.type === 'boolean');
    const box = toggle ? boxOf(parameter) : null;
    if (!box) continue;
    const id = `${inputId(parameter.name)}-hint`;
    const hint = el('p', { id, class: 'depends-hint', hidden: true }, `Turn on ${labelFor(toggle)} to change this.`);
    const label = box.querySelector(':scope > label, :scope > .field-label, :scope > .checkbox-row');
    if (label) label.after(hint);
    else box.prepend(hint);
    for (const input of box.querySelectorAll('input, select')) {
      input.setAttribute('aria-describedby', [id, input.getAttribute('aria-describedby')].filter(Boolean).join(' '));
    }
  }
}

function syncDependencies() {
  for (const parameter of parameters) {
    if (!parameter.depends_on) continue;
    const box = boxOf(parameter);
    const hint = document.getElementById(`${inputId(parameter.name)}-hint`);
    if (!box || !hint) continue;
    const off = switchedOff(parameter);
    if (off === !hint.hidden) continue;
    hint.hidden = !off;
    box.classList.toggle('switched-off', off);
    for (const input of box.querySelectorAll('input, select')) {
      input.disabled = off;
      // What a switched-off field holds does not count: its message goes.
      if (off) clearErrorOf(input);
    }
  }
}

// Opens each "Advanced" part that holds a value other than the default or
// an error (it is never closed for the person who opened it).
function openAdvanced() {
  for (const details of form.querySelectorAll('details.advanced')) {
    if (details.open) continue;
    const members = details.dataset.members.split(' ').map((name) => parameters.find((p) => p.name === name)).filter(Boolean);
    const changed = members.some((parameter) => {
      const read = readValue(parameter);
      return read.errors || (read.value !== undefined && !sameValue(read.value, parameter.default));
    });
    if (changed || details.querySelector('.field-error:not([hidden])')) details.open = true;
  }
}

// The presets the API describes, each a button after "Defaults", with its
// description under the buttons.
// Presets of a policy timeline go after "No intervention", the others
// after "Defaults".
function buildPresets() {
  const buttons = form.querySelector('.preset-buttons');
  const notes = document.getElementById('preset-notes');
  const defaults = buttons.querySelector('[data-preset="defaults"]');
  const none = buttons.querySelector('[data-preset="none"]');
  const timelines = (preset) => Array.isArray(preset.scenario?.interventions);
  let afterDefaults = defaults;
  let afterNone = none;
  const described = [];
  for (const preset of schemaPresets) {
    const noteId = `preset-note-${preset.name}`;
    const button = el('button', {
      type: 'button', class: 'button', 'data-preset': `api:${preset.name}`, 'aria-describedby': preset.description ? noteId : null,
    }, preset.title || labelOf(preset.name));
    button.addEventListener('click', () => applyPreset(button.dataset.preset));
    if (timelines(preset)) {
      afterNone.after(button);
      afterNone = button;
    } else {
      afterDefaults.after(button);
      afterDefaults = button;
    }
    if (preset.description) described.push(el('li', { id: noteId }, el('strong', {}, preset.title || labelOf(preset.name)), `: ${preset.description}`));
  }
  notes.replaceChildren(...described);
  notes.hidden = described.length === 0;
}

function inputFor(name) {
  return document.getElementById(inputId(name));
}

function entryInputs(parameter) {
  return [...form.querySelectorAll(`input[data-param="${parameter.name}"]`)];
}

function setNumber(input, value) {
  input.value = value === null || value === undefined ? '' : String(value);
}

function setValue(parameter, value) {
  if (isArray(parameter)) {
    const values = Array.isArray(value) ? value : [];
    entryInputs(parameter).forEach((input, i) => setNumber(input, values[i]));
    updateSum(parameter);
    return;
  }
  const input = inputFor(parameter.name);
  if (!input) return;
  if (parameter.type === 'boolean') {
    input.checked = value === true;
    return;
  }
  if (parameter.nullable) {
    const unset = value === null || value === undefined;
    document.getElementById(`${input.id}-null`).checked = unset;
    document.getElementById(`${input.id}-fixed`).checked = !unset;
    if (!unset) setNumber(input, value);
    syncNullable(parameter);
    return;
  }
  setNumber(input, value);
}

function maxOfInput(input) {
  return input.dataset.max === undefined || input.dataset.max === '' ? Infinity : Number(input.dataset.max);
}

// "Age shares (30-39)": an array entry as messages name it.
function entryLabel(parameter, index) {
  return `${labelFor(parameter)} (${parameter.labels?.[index] ?? index + 1})`;
}

// The client's own check of one array entry: a message, or null.
function entryProblem(parameter, input) {
  return numberProblem(parameter, input.value, maxOfInput(input), entryLabel(parameter, Number(input.dataset.index)));
}

// Whether `parameter` is switched off by the boolean it depends on.
function switchedOff(parameter) {
  if (!parameter.depends_on) return false;
  const toggle = inputFor(parameter.depends_on);
  return Boolean(toggle && toggle.type === 'checkbox' && !toggle.checked);
}

// Reads one parameter: {value}, {errors: [{field, message}]} for what the
// client can tell is wrong, or {} when it has no value to send (a field
// switched off by the parameter it depends on, holding a bad value).
function readValue(parameter) {
  const field = `scenario.${parameter.name}`;
  const off = switchedOff(parameter);
  if (isArray(parameter)) {
    const errors = [];
    const value = entryInputs(parameter).map((input, i) => {
      const problem = entryProblem(parameter, input);
      if (problem) errors.push({ field: `${field}[${i}]`, message: problem });
      return parseNumber(input.value);
    });
    if (errors.length) return off ? {} : { errors };
    return { value };
  }
  const input = inputFor(parameter.name);
  if (parameter.type === 'boolean') return { value: input.checked };
  if (parameter.nullable && document.getElementById(`${input.id}-null`).checked) return { value: null };
  const label = labelFor(parameter);
  let problem = numberProblem(parameter, input.value, maxOfInput(input), label);
  if (parameter.nullable && parseNumber(input.value) === null) {
    problem = `${label}: enter a number, or choose “${nullChoiceLabel(parameter, parameters)}”.`;
  }
  if (problem) return off ? {} : { errors: [{ field, message: problem }] };
  return { value: parseNumber(input.value) };
}

function currentScenario() {
  const scenario = {};
  const errors = [];
  for (const parameter of parameters) {
    const read = readValue(parameter);
    if (read.errors) errors.push(...read.errors);
    else if (read.value !== undefined) scenario[parameter.name] = read.value;
  }
  if (timeline) {
    const read = timeline.read();
    if (read.items.length) scenario.interventions = read.items;
    errors.push(...read.errors);
  }
  return { scenario, errors };
}

// The running sum of a shares array under its table.
function updateSum(parameter) {
  if (!isShares(parameter)) return;
  const node = document.getElementById(`${inputId(parameter.name)}-sum`);
  const values = entryInputs(parameter).map((input) => parseNumber(input.value) ?? NaN);
  if (values.some((v) => !Number.isFinite(v))) {
    node.textContent = 'Sum: – (every entry needs a number)';
    node.classList.add('off');
    return;
  }
  const sum = values.reduce((a, b) => a + b, 0);
  const off = Math.abs(sum - 1) > 1e-9;
  node.textContent = `Sum: ${numberFormat.format(Number(sum.toFixed(9)))}${off ? ' (must be 1)' : ''}`;
  node.classList.toggle('off', off);
}

// Values from the address bar: "?population=5000&contact_tracing=true",
// arrays comma-separated ("age_shares=0,0,0,1,0,0,0,0,0"), an optional key's
// fallback as "null". Unknown keys are ignored; values are put into the
// inputs as written, so that a bad one is reported like any other.
function applyQuery() {
  const query = new URLSearchParams(window.location.search);
  const given = parameters.some((parameter) => query.has(parameter.name)) || query.has('interventions');
  for (const parameter of parameters) {
    const raw = query.get(parameter.name);
    if (raw === null) continue;
    if (parameter.type === 'boolean') setValue(parameter, raw === 'true' || raw === '1');
    else if (isArray(parameter)) {
      const parts = raw.split(',').map((part) => part.trim());
      entryInputs(parameter).forEach((input, i) => { input.value = parts[i] ?? ''; });
      updateSum(parameter);
    } else if (parameter.nullable && (raw === 'null' || raw === '')) setValue(parameter, null);
    else if (parameter.nullable) {
      setValue(parameter, 0);
      inputFor(parameter.name).value = raw;
    } else inputFor(parameter.name).value = raw;
  }
  if (query.has('name')) nameInput.value = query.get('name');
  if (query.has('interventions')) applyTimelineQuery(query.get('interventions'));
  return given;
}

// The timeline from the address: `interventions=[{"type":...}]` (JSON).
// What cannot be used is said above the editor.
function applyTimelineQuery(raw) {
  let items;
  try {
    items = JSON.parse(raw);
  } catch (error) {
    showTimelineNote(`The timeline in the address could not be read (${error.message}); the editor starts empty.`);
    return;
  }
  if (!Array.isArray(items)) {
    showTimelineNote('The timeline in the address is not a list of items; the editor starts empty.');
    return;
  }
  const problems = timeline.set(items);
  if (problems.length) showTimelineNote(`Left out of the timeline in the address: ${problems.join('; ')}.`);
}

function showTimelineNote(text) {
  const node = document.getElementById('timeline-error');
  node.textContent = text;
  node.hidden = false;
}

// The address holds what can be read; an entry being typed (or a bad one)
// keeps the address as it was for that key.
function addressScenario() {
  const scenario = {};
  const previous = new URLSearchParams(window.location.search);
  for (const parameter of parameters) {
    const read = readValue(parameter);
    if (read.value !== undefined) scenario[parameter.name] = read.value;
    else if (read.errors && previous.has(parameter.name)) scenario[parameter.name] = { raw: previous.get(parameter.name) };
  }
  // The timeline as far as it can be read: a value out of range stays (and
  // is flagged again after a reload), an entry that is not a number yet
  // takes its default.
  if (timeline) {
    const { items } = timeline.read();
    if (items.length) scenario.interventions = items;
  }
  return scenario;
}

function updateAddress() {
  const scenario = addressScenario();
  const kept = Object.entries(scenario).filter(([, value]) => value && value.raw !== undefined);
  for (const [key] of kept) delete scenario[key];
  const query = new URLSearchParams(scenarioQuery(scenario, parameters, { name: nameInput.value.trim() }));
  for (const [key, value] of kept) query.set(key, value.raw);
  const text = readableQuery(query.toString());
  const address = `${window.location.pathname}${text ? `?${text}` : ''}`;
  window.history.replaceState(null, '', address);
  // The server answers an address longer than it reads (a long timeline)
  // with 414: say so rather than let a shared link fail.
  const note = document.getElementById('share-note');
  // Counted with every character percent-encoded, as a browser may send it.
  const tooLong = window.location.pathname.length + 1 + query.toString().length > ADDRESS_LIMIT;
  note.textContent = tooLong
    ? `This address is longer than the server accepts (${ADDRESS_LIMIT.toLocaleString('en-US')} characters), so a link to it would not open; the form can still be run.`
    : SHARE_NOTE;
  note.classList.toggle('warning', tooLong);
}

// A preset: {values: {key: value}, timeline?: [items]}. A timeline
// replaces the editor's items and, being the whole of the interventions,
// switches the flat shorthands off.
function presetOf(name) {
  if (!name.startsWith('api:')) return PRESETS[name] || { values: {} };
  const { interventions, ...values } = schemaPresets.find((p) => `api:${p.name}` === name)?.scenario || {};
  if (!Array.isArray(interventions)) return { values };
  return { values: { ...FLAT_OFF, ...values }, timeline: interventions };
}

// Whether the form holds what preset `name` sets (`flagged`: the names of
// the parameters whose fields hold no usable value: they hold no preset's).
function presetMatches(name, scenario, flagged) {
  const items = scenario.interventions || [];
  if (name === 'defaults') {
    return items.length === 0 && parameters.every((p) => !flagged.has(p.name)
      && (scenario[p.name] === undefined || sameValue(scenario[p.name], p.default)));
  }
  const preset = presetOf(name);
  const valuesMatch = Object.entries(preset.values).every(([key, value]) => {
    const parameter = parameters.find((p) => p.name === key);
    if (parameter && flagged.has(key)) return false;
    return !parameter || sameValue(scenario[key] === undefined ? parameter.default : scenario[key], value);
  });
  return valuesMatch && (!preset.timeline || sameTimeline(items, preset.timeline, timelineTypes));
}

// One preset at most is highlighted: the one applied last while the form
// still holds it, else the first (in the buttons' order) that it holds.
function refreshPresets() {
  const { scenario, errors } = currentScenario();
  const flagged = new Set(errors.map((problem) => String(problem.field).replace(/^scenario\./, '').replace(/\[.*$/, '')));
  const buttons = [...form.querySelectorAll('[data-preset]')];
  const names = buttons.map((button) => button.dataset.preset);
  const candidates = lastPreset && names.includes(lastPreset) ? [lastPreset, ...names] : names;
  const on = candidates.find((name) => presetMatches(name, scenario, flagged)) ?? null;
  for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset.preset === on));
}

// "Defaults" resets every value and empties the timeline; every other
// preset sets the values it names (and its timeline) and keeps the rest.
function applyPreset(name) {
  if (name === 'defaults') {
    for (const parameter of parameters) setValue(parameter, parameter.default);
    timeline?.set([]);
  } else {
    const preset = presetOf(name);
    for (const [key, value] of Object.entries(preset.values)) {
      const parameter = parameters.find((p) => p.name === key);
      if (parameter) setValue(parameter, value);
    }
    if (preset.timeline && timeline) timeline.set(preset.timeline.filter((item) => timelineTypes.has(item.type)));
  }
  lastPreset = name;
  clearFieldErrors();
  // A summary of the messages just cleared goes with them.
  if (banner.querySelector('.error-summary')) showBanner(banner, null);
  syncDependencies();
  openAdvanced();
  updateAddress();
  refreshPresets();
  scheduleEstimate();
}

// ---- errors ---------------------------------------------------------------

function clearFieldErrors() {
  for (const node of form.querySelectorAll('.field-error')) {
    node.hidden = true;
    node.textContent = '';
    node.removeAttribute('role');
  }
  for (const node of form.querySelectorAll('.entry-error-row')) node.hidden = true;
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  for (const node of form.querySelectorAll('.invalid')) node.classList.remove('invalid');
}

// Where an error about `field` goes: {inputs, node (the message), row (an
// array entry's error row), box (an array's field)}, or null.
function fieldTarget(field) {
  if (field === 'name') return { inputs: [nameInput], node: document.getElementById('f-name-error') };
  if (field === 'email') return { inputs: [emailInput], node: document.getElementById('f-email-error') };
  const key = field.startsWith('scenario.') ? field.slice('scenario.'.length) : field;
  if (timeline && /^interventions(\[|$)/.test(key)) return timeline.target(key);
  const entry = key.match(/^([A-Za-z0-9_]+)\[(\d+)\]$/);
  if (entry) {
    const input = document.getElementById(entryId(entry[1], entry[2]));
    if (!input) return null;
    return {
      inputs: [input],
      node: document.getElementById(`${input.id}-error`),
      row: document.getElementById(`${input.id}-error-row`),
      box: document.getElementById(inputId(entry[1])),
    };
  }
  const parameter = parameters.find((p) => p.name === key);
  if (!parameter) return null;
  if (isArray(parameter)) {
    return {
      inputs: entryInputs(parameter),
      node: document.getElementById(`${inputId(key)}-error`),
      box: document.getElementById(inputId(key)),
    };
  }
  const input = inputFor(key);
  return input ? { inputs: [input], node: document.getElementById(`${input.id}-error`) } : null;
}

// `announce`: the message is an alert of its own (while typing); on submit
// the summary at the top is the one alert, and the messages are read with
// their fields (aria-describedby).
function showError(target, message, { announce = true } = {}) {
  const { node } = target;
  node.textContent = node.textContent ? `${node.textContent} ${message}` : message;
  node.hidden = false;
  if (announce) node.setAttribute('role', 'alert');
  else node.removeAttribute('role');
  if (target.row) target.row.hidden = false;
  if (target.box) target.box.classList.add('invalid');
  for (const input of target.inputs) input.setAttribute('aria-invalid', 'true');
}

// Hides the message of one array entry (or one field) and, for an array,
// the message about the whole array.
function clearErrorOf(changed) {
  // A radio button of an optional key stands for its number input.
  const input = changed.type === 'radio' && changed.name.endsWith('-mode')
    ? inputFor(changed.name.slice(0, -'-mode'.length)) || changed
    : changed;
  const targets = [];
  if (input.dataset.param && input.dataset.index !== undefined) {
    targets.push(fieldTarget(`${input.dataset.param}[${input.dataset.index}]`));
    targets.push(fieldTarget(input.dataset.param));
  } else {
    const node = document.getElementById(`${input.id}-error`);
    if (node) targets.push({ inputs: [input], node });
  }
  for (const target of targets.filter(Boolean)) {
    if (target.node.hidden) continue;
    target.node.hidden = true;
    target.node.textContent = '';
    target.node.removeAttribute('role');
    if (target.row) target.row.hidden = true;
    for (const other of target.inputs) other.removeAttribute('aria-invalid');
  }
  const box = input.dataset.param ? document.getElementById(inputId(input.dataset.param)) : null;
  if (box && !box.querySelector('.field-error:not([hidden])')) box.classList.remove('invalid');
  // An entry with its own error keeps its mark while another is cleared.
  if (box) {
    for (const other of entryInputs({ name: input.dataset.param })) {
      const own = document.getElementById(`${other.id}-error`);
      if (own && !own.hidden) other.setAttribute('aria-invalid', 'true');
    }
  }
}

// What a message about `field` is about, for the summary: the
// parameter's label ("Population", "Age shares (30-39)"), else the text of
// the input's label.
function whatOf(field, input) {
  const key = field.startsWith('scenario.') ? field.slice('scenario.'.length) : field;
  const entry = key.match(/^([A-Za-z0-9_]+)\[(\d+)\]$/);
  const parameter = parameters.find((p) => p.name === (entry ? entry[1] : key));
  if (parameter) return entry ? entryLabel(parameter, Number(entry[2])) : labelFor(parameter);
  const label = input?.labels?.[0];
  if (!label) return labelOf(key.split('.').pop());
  const copy = label.cloneNode(true);
  for (const unit of copy.querySelectorAll('.unit')) unit.remove();
  const item = input.closest('[data-type]')?.querySelector('legend')?.textContent;
  const text = copy.textContent.trim();
  return item ? `${item}: ${text}` : text;
}

// Focuses a field named in the summary, opening its "Advanced" part.
function focusField(input) {
  for (let node = input.parentElement; node; node = node.parentElement) {
    if (node.tagName === 'DETAILS') node.open = true;
  }
  input.focus();
  input.scrollIntoView({ block: 'center' });
}

// Puts each message beside its field; returns {placed: [{text, input}],
// unplaced: [text]}: the messages with a field on this form (worded for
// the summary) and those without.
function showFieldErrors(fields, { focus = true } = {}) {
  clearFieldErrors();
  const placed = [];
  const unplaced = [];
  for (const { field, message } of fields) {
    const target = fieldTarget(String(field || ''));
    if (!target || !target.node) {
      unplaced.push(`${field}: ${message}`);
      continue;
    }
    showError(target, message, { announce: false });
    const input = target.inputs.find((node) => !node.disabled) || target.inputs[0] || null;
    const what = whatOf(String(field || ''), input);
    placed.push({ text: message.startsWith(what) ? message : `${what}: ${message}`, input });
  }
  openAdvanced();
  const first = placed.find((problem) => problem.input)?.input;
  if (focus && first) focusField(first);
  return { placed, unplaced };
}

// The banner's summary: how many values need correcting, then each
// problem as a link to its field.
function errorSummary({ placed, unplaced }) {
  const count = placed.length + unplaced.length;
  const items = [
    ...placed.map(({ text, input }) => el('li', {}, input?.id
      ? el('a', {
        href: `#${input.id}`,
        onclick: (event) => {
          event.preventDefault();
          focusField(input);
        },
      }, text)
      : text)),
    ...unplaced.map((text) => el('li', {}, text)),
  ];
  return [
    el('p', { class: 'summary-title' }, count === 1 ? 'One value needs correcting:' : `${count} values need correcting:`),
    el('ul', { class: 'error-summary' }, items),
  ];
}

// While typing into a timeline item: the client's own checks of that
// field, at once; the item's legend follows its name.
function checkTimelineField(input) {
  if (input.dataset.timeline === 'name') timeline.renumber();
  const field = input.dataset.timeline === 'trigger'
    ? input.closest('[data-trigger]').querySelector('input[type="number"]')
    : input.dataset.timeline === 'nullable' ? input.closest('.field').querySelector('input[type="number"]') : input;
  if (field !== input) clearErrorOf(field);
  // An empty number is not flagged while typing: the form says so on submit.
  if (field.value.trim() === '' && !field.validity.badInput) return;
  for (const problem of timeline.errorsOf(field)) {
    const target = fieldTarget(problem.field);
    if (target) showError(target, problem.message);
  }
}

// After an item is added, moved or removed, the server's messages name
// items by their old places: they go.
function clearTimelineErrors() {
  for (const node of document.querySelectorAll('#timeline .field-error')) {
    node.hidden = true;
    node.textContent = '';
    node.removeAttribute('role');
  }
  for (const node of document.querySelectorAll('#timeline [aria-invalid]')) node.removeAttribute('aria-invalid');
  for (const node of document.querySelectorAll('#timeline .invalid, #timeline.invalid')) node.classList.remove('invalid');
}

// While typing into an array entry: the client's own range check, at once.
function checkEntry(input) {
  const parameter = parameters.find((p) => p.name === input.dataset.param);
  if (!parameter) return;
  updateSum(parameter);
  const problem = input.value.trim() === '' ? null : entryProblem(parameter, input);
  if (problem) showError(fieldTarget(`${parameter.name}[${input.dataset.index}]`), problem);
}

// On leaving a number of a parameter: the client's own check, at once.
function checkScalar(input) {
  const parameter = parameters.find((p) => inputFor(p.name) === input);
  if (!parameter || input.disabled) return;
  const read = readValue(parameter);
  clearErrorOf(input);
  for (const problem of read.errors || []) showError(fieldTarget(problem.field), problem.message);
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
    showBanner(banner, errorSummary(showFieldErrors(errors)));
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
    // Unnamed: remembered by what its scenario changes ("contact tracing, 300k").
    rememberSimulation({ id: created.id, name: runName({ name, scenario }, await loadSchema().catch(() => null)) });
    window.location.assign(created.links?.page || `/simulations/${encodeURIComponent(created.id)}`);
  } catch (error) {
    if (error.status === 422 && error.fields.length) {
      const shown = showFieldErrors(error.fields);
      showBanner(banner, shown.placed.length ? errorSummary(shown) : [error.message, errorSummary(shown)[1]]);
    } else {
      showBanner(banner, bannerFor(error));
      banner.focus();
    }
  } finally {
    submitButton.disabled = false;
    submitButton.textContent = 'Run simulation';
  }
}

// ---- the estimate ---------------------------------------------------------

// R0 and the doubling time of the scenario as it stands, from
// POST /api/v1/scenario/estimate, a moment after the last change. The
// section stays hidden on a server without that route; "—" while a value
// cannot be read.
const estimateBox = document.getElementById('estimate');
const ESTIMATE_DELAY_MS = 300;
let estimateTimer = null;
let estimateRequest = 0;
let estimateAvailable = true;
let estimateKnown = false;  // whether the server has answered the route once

const daysFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const r0Format = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

// `note`: why there is no estimate (a flagged value, the server's answer).
function showEstimate(estimate, note = '') {
  const dash = '—';
  const r0 = estimate && Number.isFinite(estimate.r0) ? r0Format.format(estimate.r0) : dash;
  let timeLabel = 'Doubling time';
  let time = dash;
  if (estimate && Number.isFinite(estimate.doubling_time_days)) {
    time = `${daysFormat.format(estimate.doubling_time_days)} days`;
  } else if (estimate && Number.isFinite(estimate.halving_time_days)) {
    timeLabel = 'Halving time';
    time = `${daysFormat.format(estimate.halving_time_days)} days`;
  }
  document.getElementById('estimate-r0').textContent = r0;
  document.getElementById('estimate-time-label').textContent = timeLabel;
  document.getElementById('estimate-time').textContent = time;
  const noteNode = document.getElementById('estimate-note');
  noteNode.textContent = note;
  noteNode.hidden = !note;
}

async function updateEstimate() {
  if (!estimateAvailable) return;
  const request = ++estimateRequest;
  const { scenario, errors } = currentScenario();
  // The timeline does not enter the estimate (it is without interventions).
  delete scenario.interventions;
  const flagged = errors.some((problem) => !String(problem.field).startsWith('scenario.interventions'));
  const flaggedNote = 'Correct the values flagged in the form to see the estimate.';
  // Until the server has answered once, it is asked even so: its answer
  // says whether it has the route at all.
  if (flagged && estimateKnown) {
    showEstimate(null, flaggedNote);
    return;
  }
  let estimate = null;
  let note = '';
  try {
    estimate = await postJson('/api/v1/scenario/estimate', { scenario });
  } catch (error) {
    // An older server: no such route. The section stays hidden.
    if (error.status === 404 || error.status === 405) {
      estimateAvailable = false;
      estimateBox.hidden = true;
      return;
    }
    note = error.status === 422
      ? `No estimate for these values: ${error.fields.map(({ field, message }) => `${whatOf(String(field || ''), null)}: ${message}.`).join(' ') || error.message}`
      : `No estimate right now: ${error.message}`;
  }
  estimateKnown = true;
  if (request !== estimateRequest) return;  // a newer one is on its way
  estimateBox.hidden = false;
  const usable = !flagged && estimate && Number.isFinite(estimate.r0);
  if (usable) showEstimate(estimate);
  else showEstimate(null, flagged ? flaggedNote : note || 'No estimate for these values.');
}

function scheduleEstimate() {
  if (!estimateAvailable || !estimateBox) return;
  clearTimeout(estimateTimer);
  estimateTimer = setTimeout(updateEstimate, ESTIMATE_DELAY_MS);
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
  const changed = (event) => {
    const input = event.target;
    clearErrorOf(input);
    if (input.dataset.index !== undefined) checkEntry(input);
    if (input.dataset.timeline) checkTimelineField(input);
    if (input.type === 'checkbox') syncDependencies();
    updateAddress();
    refreshPresets();
    scheduleEstimate();
  };
  form.addEventListener('input', changed);
  // Radio buttons of optional keys report a change, not always an input.
  // A number, once typed (on leaving it), is checked at once.
  form.addEventListener('change', (event) => {
    if (event.target.type === 'radio') changed(event);
    else if (event.target.classList.contains('number') && event.target.dataset.index === undefined) checkScalar(event.target);
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
  schemaPresets = Array.isArray(schema.presets) ? schema.presets : [];
  buildForm(schema);
  buildPresets();
  timelineTypes = typesOf(schema.interventions);
  timeline = new TimelineEditor(document.getElementById('timeline'), schema.interventions, () => {
    clearTimelineErrors();
    updateAddress();
    refreshPresets();
  });
  for (const parameter of parameters) setValue(parameter, parameter.default);
  const flagged = applyQuery();
  syncDependencies();
  // A value from the address that cannot be used is flagged at once.
  if (flagged) showFieldErrors(currentScenario().errors, { focus: false });
  openAdvanced();
  refreshPresets();
  updateEstimate();
  form.dataset.ready = 'true';
}

start();
