// The policy timeline's editor on the form: a list of items, each a
// fieldset with its schedule (start and end days, or triggers) and the
// parameters of its type. Everything about the types (their parameters,
// kinds, defaults, ranges, units, descriptions and choices) comes from
// GET /api/v1/scenario -> "interventions".

import { el, labelOf } from './app.js';
import { compactItem, typesOf } from './timeline.js';

// The schedule's bounds as the API checks them (the types' parameters
// carry their own ranges in the description).
const MAX_DAY = 3650;
const MAX_NAME = 80;
const MAX_THRESHOLD = 100000;

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 });

// What an unset (null) value of an optional parameter means, from its
// description ("... Unset (null): no limit." -> "No limit").
function unsetLabel(parameter) {
  const match = (parameter.description || '').match(/unset \(null\):\s*([^.;]+)/i);
  if (!match) return 'Unset';
  const text = match[1].trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function rangeHelp(min, max, integer) {
  return ` ${integer ? 'Whole number, r' : 'R'}ange ${numberFormat.format(min)} to ${numberFormat.format(max)}.`;
}

// The client's check of a number typed into `input`: a message or null.
// An empty input is `empty` (a message, or null when empty is allowed).
function numberProblem(input, { min, max, integer, empty }) {
  if (input.validity.badInput) return 'Enter a number.';
  if (input.value.trim() === '') return empty;
  const value = Number(input.value);
  if (!Number.isFinite(value) || value < min || value > max) {
    return `Must be between ${numberFormat.format(min)} and ${numberFormat.format(max)}.`;
  }
  if (integer && !Number.isInteger(value)) return 'Must be a whole number.';
  return null;
}

// A number typed into an input, or undefined when it is empty or not one.
function numberOf(input) {
  if (input.validity.badInput || input.value.trim() === '') return undefined;
  const value = Number(input.value);
  return Number.isFinite(value) ? value : undefined;
}

export class TimelineEditor {
  // `host`: the fieldset of index.html (with #timeline-items, #timeline-type,
  // #timeline-add, ...); `description`: the API's "interventions";
  // `onChange()`: called after an item is added, moved or removed.
  constructor(host, description, onChange) {
    this.host = host;
    this.description = description || { types: [], trigger_metrics: [], max_items: 100 };
    this.types = typesOf(this.description);
    this.onChange = onChange;
    this.list = host.querySelector('#timeline-items');
    this.empty = host.querySelector('#timeline-empty');
    this.typeSelect = host.querySelector('#timeline-type');
    this.addButton = host.querySelector('#timeline-add');
    this.typeHelp = host.querySelector('#timeline-type-help');
    this.status = host.querySelector('#timeline-status');
    this.error = host.querySelector('#timeline-error');
    this.nextKey = 1;
    for (const type of this.description.types) this.typeSelect.append(el('option', { value: type.name }, type.title || labelOf(type.name)));
    const describeType = () => {
      const type = this.types.get(this.typeSelect.value);
      this.typeHelp.textContent = type ? `${type.title || labelOf(type.name)}: ${type.description}` : '';
    };
    this.typeSelect.addEventListener('change', describeType);
    describeType();
    this.addButton.addEventListener('click', () => {
      const li = this.add({ type: this.typeSelect.value, start_day: 0 });
      if (!li) return;
      this.announce(`Added item ${this.items().length}: ${this.typeTitle(li.dataset.type)}.`);
      li.querySelector('input, select')?.focus();
      this.onChange();
    });
    this.renumber();
  }

  get maxItems() {
    return this.description.max_items ?? 100;
  }

  items() {
    return [...this.list.children];
  }

  typeTitle(name) {
    const type = this.types.get(name);
    return type ? type.title || labelOf(type.name) : name;
  }

  announce(text) {
    this.status.textContent = text;
  }

  // Replaces every item with `items` (scenario objects); returns the
  // problems met on the way ("interventions[1].foo: unknown key"), for
  // items from an address.
  set(items) {
    this.list.replaceChildren();
    const problems = [];
    (items || []).forEach((item, i) => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) {
        problems.push(`interventions[${i}]: not an item`);
        return;
      }
      if (!this.types.has(item.type)) {
        problems.push(`interventions[${i}].type: unknown type ${JSON.stringify(item.type ?? null)}`);
        return;
      }
      if (this.items().length >= this.maxItems) {
        problems.push(`interventions[${i}]: more than ${this.maxItems} items`);
        return;
      }
      this.add(item, problems, i);
    });
    this.renumber();
    return problems;
  }

  // Adds an item (a scenario object: {type, start_day, ..., parameters})
  // at the end; its values are put into the inputs as written, so that a
  // bad one is flagged like any other. Returns its <li>, or null at the
  // limit.
  add(item, problems = null, index = 0) {
    const type = this.types.get(item.type);
    if (!type || this.items().length >= this.maxItems) return null;
    const key = this.nextKey;
    this.nextKey += 1;
    const li = this.buildItem(key, type);
    this.list.append(li);
    const set = (suffix, value) => {
      const input = li.querySelector(`#tl-${key}-${suffix}`);
      if (input && value !== undefined && value !== null) input.value = String(value);
    };
    const known = new Set(['type', 'name', 'start_day', 'end_day', 'start_when', 'end_when', ...type.parameters.map((p) => p.name)]);
    for (const name of Object.keys(item)) {
      if (!known.has(name) && problems) problems.push(`interventions[${index}].${name}: not a parameter of ${type.name}, left out`);
    }
    if (typeof item.name === 'string') set('name', item.name);
    // A triggered item without start_day looks at its trigger from day 0.
    set('start_day', item.start_day === undefined && item.start_when ? 0 : item.start_day);
    set('end_day', item.end_day);
    for (const [which, bound] of [['start_when', 'above'], ['end_when', 'below']]) {
      const trigger = item[which];
      if (!trigger || typeof trigger !== 'object') continue;
      li.querySelector(`#tl-${key}-${which}`).checked = true;
      const metric = li.querySelector(`#tl-${key}-${which}-metric`);
      if ([...metric.options].some((option) => option.value === trigger.metric)) metric.value = trigger.metric;
      else if (problems) problems.push(`interventions[${index}].${which}.metric: unknown metric ${JSON.stringify(trigger.metric ?? null)}`);
      set(`${which}-${bound}`, trigger[bound]);
    }
    for (const parameter of type.parameters) {
      const value = parameter.name in item ? item[parameter.name] : parameter.default;
      this.setParameter(li, key, parameter, value);
    }
    this.syncTriggers(li);
    this.renumber();
    return li;
  }

  setParameter(li, key, parameter, value) {
    const input = li.querySelector(`#tl-${key}-${parameter.name}`);
    if (parameter.type === 'boolean') {
      input.checked = value === true;
    } else if (parameter.type === 'choice') {
      if (parameter.choices.includes(value)) input.value = value;
    } else if (parameter.nullable) {
      const unset = value === null || value === undefined;
      li.querySelector(`#tl-${key}-${parameter.name}-null`).checked = unset;
      li.querySelector(`#tl-${key}-${parameter.name}-fixed`).checked = !unset;
      input.value = unset ? '' : String(value);
      input.classList.toggle('unused', unset);
    } else {
      input.value = value === null || value === undefined ? '' : String(value);
    }
  }

  // A field: label (with its unit), input, help and its own error line.
  field(id, label, input, help, extraClass = '') {
    input.setAttribute('aria-describedby', `${id}-error ${id}-help`);
    return el('div', { class: `field ${extraClass}`.trim() },
      el('label', { for: id }, label), input,
      el('p', { id: `${id}-help`, class: 'help' }, help),
      el('p', { id: `${id}-error`, class: 'field-error', tabindex: '-1', hidden: true }));
  }

  dayInput(id, name) {
    return el('input', { id, name, type: 'number', inputmode: 'numeric', min: 0, max: MAX_DAY, step: 1, 'data-timeline': 'day' });
  }

  trigger(key, which) {
    const start = which === 'start_when';
    const bound = start ? 'above' : 'below';
    const id = `tl-${key}-${which}`;
    const toggle = el('input', { type: 'checkbox', id, name: id, 'data-timeline': 'trigger' });
    const metric = el('select', { id: `${id}-metric`, name: `${id}-metric`, 'data-timeline': 'metric' },
      (this.description.trigger_metrics || []).map((m) => el('option', { value: m.name }, m.description || labelOf(m.name))));
    const threshold = el('input', {
      id: `${id}-${bound}`, name: `${id}-${bound}`, type: 'number', inputmode: 'decimal', min: 0, max: MAX_THRESHOLD, step: 'any',
      'data-timeline': 'threshold',
    });
    const text = start ? 'Start when a measure rises above a threshold' : 'Stop when a measure falls below a threshold';
    return el('div', { class: 'field trigger', 'data-trigger': which },
      el('div', { class: 'checkbox-row' }, toggle, el('label', { for: id }, text)),
      el('div', { class: 'trigger-fields', id: `${id}-fields` },
        this.field(`${id}-metric`, 'Measure', metric, start ? 'Switches the item on when it rises above the threshold.' : 'Switches the item off when it falls below the threshold.'),
        this.field(`${id}-${bound}`, [start ? 'Above' : 'Below', el('span', { class: 'unit' }, ' (per 100,000)')], threshold,
          `Range 0 to ${numberFormat.format(MAX_THRESHOLD)}.${start ? '' : ' At most the start threshold on the same measure.'}`)));
  }

  parameterField(key, parameter) {
    const id = `tl-${key}-${parameter.name}`;
    const title = parameter.label || labelOf(parameter.name);
    const label = [title, parameter.unit ? el('span', { class: 'unit' }, ` (${parameter.unit})`) : null];
    const attributes = { id, name: id, 'data-timeline': 'parameter', 'data-parameter': parameter.name };
    if (parameter.type === 'boolean') {
      const input = el('input', { ...attributes, type: 'checkbox', 'aria-describedby': `${id}-error ${id}-help` });
      return el('div', { class: 'field field-checkbox' },
        el('div', { class: 'checkbox-row' }, input, el('label', { for: id }, title)),
        el('p', { id: `${id}-help`, class: 'help' }, parameter.description),
        el('p', { id: `${id}-error`, class: 'field-error', tabindex: '-1', hidden: true }));
    }
    if (parameter.type === 'choice') {
      const input = el('select', attributes, parameter.choices.map((choice) => el('option', { value: choice }, labelOf(choice))));
      return this.field(id, label, input, parameter.description);
    }
    const integer = parameter.type === 'integer';
    const input = el('input', {
      ...attributes, type: 'number', inputmode: integer ? 'numeric' : 'decimal', min: parameter.min, max: parameter.max, step: integer ? 1 : 'any',
    });
    const help = `${parameter.description}${rangeHelp(parameter.min, parameter.max, integer)}`;
    if (!parameter.nullable) return this.field(id, label, input, help);
    // An optional value: what unset means, or a fixed value (typing one
    // picks it).
    const group = `${id}-mode`;
    const unset = el('input', { type: 'radio', id: `${id}-null`, name: group, value: 'null', 'data-timeline': 'nullable' });
    const fixed = el('input', { type: 'radio', id: `${id}-fixed`, name: group, value: 'fixed', 'data-timeline': 'nullable' });
    input.addEventListener('input', () => {
      fixed.checked = true;
      input.classList.remove('unused');
    });
    unset.addEventListener('change', () => input.classList.add('unused'));
    fixed.addEventListener('change', () => {
      input.classList.remove('unused');
      input.focus();
    });
    const box = this.field(id, label, input, help, 'field-nullable');
    box.insertBefore(el('div', { class: 'choices', role: 'radiogroup', 'aria-label': `${parameter.label || labelOf(parameter.name)}: unset or a fixed value` },
      el('div', { class: 'choice-row' }, unset, el('label', { for: unset.id }, unsetLabel(parameter))),
      el('div', { class: 'choice-row' }, fixed, el('label', { for: fixed.id }, 'Fixed value'))), input);
    return box;
  }

  buildItem(key, type) {
    const id = `tl-${key}`;
    const title = type.title || labelOf(type.name);
    const button = (action, text) => el('button', { type: 'button', class: 'button small', 'data-action': action }, text);
    const up = button('up', 'Move up');
    const down = button('down', 'Move down');
    const remove = button('remove', 'Remove');
    remove.classList.add('danger');
    const li = el('li', { class: 'timeline-item', id, 'data-key': key, 'data-type': type.name },
      el('fieldset', { class: 'item' },
        el('legend', { id: `${id}-legend` }, title),
        el('div', { class: 'item-head' },
          el('p', { class: 'help' }, type.description),
          el('div', { class: 'item-tools', role: 'group', 'aria-label': 'Order' }, up, down, remove)),
        el('p', { id: `${id}-error`, class: 'field-error item-error', tabindex: '-1', hidden: true }),
        el('div', { class: 'fields' },
          this.field(`${id}-name`, ['Name', el('span', { class: 'unit' }, ' (optional)')],
            el('input', { id: `${id}-name`, name: `${id}-name`, type: 'text', maxlength: MAX_NAME, autocomplete: 'off', 'data-timeline': 'name' }),
            'Its label on the charts; without one, “type #id”.'),
          this.field(`${id}-start_day`, 'Start day', this.dayInput(`${id}-start_day`, `${id}-start_day`),
            'First day it is on; with a start trigger, the first day the trigger is looked at (empty: 0).'),
          this.field(`${id}-end_day`, ['End day', el('span', { class: 'unit' }, ' (optional)')], this.dayInput(`${id}-end_day`, `${id}-end_day`),
            'Last day it is on (inclusive); empty: to the end of the run.')),
        el('div', { class: 'fields triggers' }, this.trigger(key, 'start_when'), this.trigger(key, 'end_when')),
        el('div', { class: 'fields item-parameters' }, type.parameters.map((parameter) => this.parameterField(key, parameter)))));
    up.addEventListener('click', () => this.move(li, -1, up));
    down.addEventListener('click', () => this.move(li, 1, down));
    remove.addEventListener('click', () => this.remove(li));
    for (const toggle of li.querySelectorAll('[data-timeline="trigger"]')) toggle.addEventListener('change', () => this.syncTriggers(li));
    return li;
  }

  // A trigger's measure and threshold show only while it is ticked.
  syncTriggers(li) {
    for (const box of li.querySelectorAll('[data-trigger]')) {
      const on = box.querySelector('[data-timeline="trigger"]').checked;
      box.querySelector('.trigger-fields').hidden = !on;
    }
  }

  move(li, step, button) {
    const items = this.items();
    const at = items.indexOf(li);
    const to = at + step;
    if (to < 0 || to >= items.length) return;
    if (step < 0) items[to].before(li);
    else items[to].after(li);
    this.renumber();
    // The button keeps the focus unless it can no longer be used; then the
    // other one of the pair takes it.
    if (button.disabled) li.querySelector(`[data-action="${step < 0 ? 'down' : 'up'}"]`).focus();
    else button.focus();
    this.announce(`${this.legendOf(li)}: moved to position ${to + 1} of ${items.length}.`);
    this.onChange();
  }

  remove(li) {
    const items = this.items();
    const at = items.indexOf(li);
    const label = this.legendOf(li);
    li.remove();
    this.renumber();
    const rest = this.items();
    const next = rest[Math.min(at, rest.length - 1)];
    (next ? next.querySelector('[data-action="remove"]') : this.addButton).focus();
    this.announce(`${label}: removed. ${rest.length} item${rest.length === 1 ? '' : 's'} left.`);
    this.onChange();
  }

  legendOf(li) {
    return li.querySelector('legend').textContent;
  }

  // Numbers the legends ("Item 2: Distancing (lockdown)"), names the
  // buttons after them and disables the moves that cannot be made.
  renumber() {
    const items = this.items();
    items.forEach((li, i) => {
      const key = li.dataset.key;
      const name = li.querySelector(`#tl-${key}-name`).value.trim();
      const legend = `Item ${i + 1}: ${this.typeTitle(li.dataset.type)}${name ? ` (${name})` : ''}`;
      li.querySelector('legend').textContent = legend;
      li.dataset.index = String(i);
      const up = li.querySelector('[data-action="up"]');
      const down = li.querySelector('[data-action="down"]');
      up.disabled = i === 0;
      down.disabled = i === items.length - 1;
      up.setAttribute('aria-label', `Move item ${i + 1} up`);
      down.setAttribute('aria-label', `Move item ${i + 1} down`);
      li.querySelector('[data-action="remove"]').setAttribute('aria-label', `Remove item ${i + 1}`);
    });
    this.empty.hidden = items.length > 0;
    const full = items.length >= this.maxItems;
    this.addButton.disabled = full;
    this.addButton.title = full ? `At most ${this.maxItems} items` : '';
  }

  // Reads every item: {items: [compact scenario items, as far as they can
  // be read], errors: [{field, message, input}]} with fields named as the
  // API names them (scenario.interventions[i].coverage).
  read() {
    const items = [];
    const errors = [];
    this.items().forEach((li, i) => {
      const { item, problems } = this.readItem(li, i);
      items.push(compactItem(item, this.types));
      errors.push(...problems);
    });
    return { items, errors };
  }

  readItem(li, index) {
    const key = li.dataset.key;
    const type = this.types.get(li.dataset.type);
    const at = `scenario.interventions[${index}]`;
    const problems = [];
    const input = (suffix) => li.querySelector(`#tl-${key}-${suffix}`);
    const check = (suffix, field, options) => {
      const node = input(suffix);
      const message = numberProblem(node, options);
      if (message) problems.push({ field: `${at}.${field}`, message, input: node });
      return numberOf(node);
    };
    const item = { type: type.name };
    const name = input('name').value.trim();
    if (name) item.name = name;
    if (name.length > MAX_NAME) problems.push({ field: `${at}.name`, message: `At most ${MAX_NAME} characters.`, input: input('name') });
    const startTrigger = input('start_when').checked;
    const start = check('start_day', 'start_day', {
      min: 0, max: MAX_DAY, integer: true, empty: startTrigger ? null : 'Enter a day, or start on a trigger.',
    });
    item.start_day = start ?? 0;
    const end = check('end_day', 'end_day', { min: 0, max: MAX_DAY, integer: true, empty: null });
    if (end !== undefined) {
      item.end_day = end;
      if (start !== undefined && end < start && !problems.some((p) => p.field === `${at}.end_day`)) {
        problems.push({ field: `${at}.end_day`, message: `Must not be before the start day (${start}).`, input: input('end_day') });
      }
    }
    for (const [which, bound] of [['start_when', 'above'], ['end_when', 'below']]) {
      if (!input(which).checked) continue;
      const threshold = check(`${which}-${bound}`, `${which}.${bound}`, { min: 0, max: MAX_THRESHOLD, integer: false, empty: 'Enter a number.' });
      const trigger = { metric: input(`${which}-metric`).value };
      if (threshold !== undefined) trigger[bound] = threshold;
      item[which] = trigger;
    }
    if (item.start_when && item.end_when && item.start_when.metric === item.end_when.metric
        && item.end_when.below > item.start_when.above && !problems.some((p) => p.field === `${at}.end_when.below`)) {
      problems.push({
        field: `${at}.end_when.below`,
        message: `Must not exceed the start threshold (${item.start_when.above}) on the same measure: the item would switch off as soon as it switched on.`,
        input: input('end_when-below'),
      });
    }
    for (const parameter of type.parameters) {
      const node = input(parameter.name);
      if (parameter.type === 'boolean') {
        item[parameter.name] = node.checked;
      } else if (parameter.type === 'choice') {
        item[parameter.name] = node.value;
      } else if (parameter.nullable && input(`${parameter.name}-null`).checked) {
        item[parameter.name] = null;
      } else {
        const empty = parameter.nullable ? `Enter a number, or choose “${unsetLabel(parameter)}”.` : null;
        const value = check(parameter.name, parameter.name, { min: parameter.min, max: parameter.max, integer: parameter.type === 'integer', empty });
        if (value !== undefined) item[parameter.name] = value;
      }
    }
    return { item, problems };
  }

  // Where the API's message about `field` ("interventions[2].coverage",
  // without "scenario.") goes: {inputs, node, box}, or null.
  target(field) {
    if (field === 'interventions') return { inputs: [], node: this.error, box: this.host };
    const match = field.match(/^interventions\[(\d+)\](?:\.(.+))?$/);
    if (!match) return null;
    const li = this.items()[Number(match[1])];
    if (!li) return { inputs: [], node: this.error, box: this.host };
    const key = li.dataset.key;
    const rest = match[2] || '';
    const suffix = rest.replace('.', '-');
    let input = rest ? li.querySelector(`#tl-${key}-${suffix}`) : null;
    if (rest === 'start_when' || rest === 'end_when') input = li.querySelector(`#tl-${key}-${rest}-${rest === 'start_when' ? 'above' : 'below'}`);
    const node = input ? li.querySelector(`#${input.id}-error`) : null;
    if (!input || !node) return { inputs: [], node: li.querySelector(`#tl-${key}-error`), box: li };
    // A trigger named in an error is shown, even if it was unticked.
    const trigger = input.closest('[data-trigger]');
    if (trigger) {
      trigger.querySelector('[data-timeline="trigger"]').checked = true;
      this.syncTriggers(li);
    }
    return { inputs: [input], node, box: li };
  }

  // The errors of the field `input` (while typing), as read() finds them.
  errorsOf(input) {
    const li = input.closest('.timeline-item');
    if (!li) return [];
    const { problems } = this.readItem(li, this.items().indexOf(li));
    return problems.filter((problem) => problem.input === input);
  }
}
