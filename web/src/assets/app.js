// Shared by every page: calls to the JSON API, the parameter schema, and
// small DOM and formatting functions. Plain ES module, no dependencies.

export const FINAL_STATUSES = new Set(['succeeded', 'failed', 'cancelled']);

// A failed API call: `status` is the HTTP status (0 when the server could not
// be reached), `code` and `fields` come from the error document.
export class ApiError extends Error {
  constructor(status, message, code = '', fields = [], retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

// Calls the API and returns the parsed JSON body; throws ApiError for any
// non-2xx answer or a network failure.
export async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, {
      ...options,
      headers: { Accept: 'application/json', ...(options.headers || {}) },
    });
  } catch {
    throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
  }
  let body = null;
  const text = await response.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const error = body && body.error ? body.error : {};
    throw new ApiError(
      response.status,
      error.message || `The server answered ${response.status} ${response.statusText}.`,
      error.code || '',
      Array.isArray(error.fields) ? error.fields : [],
      response.headers.get('Retry-After'),
    );
  }
  return body;
}

export function postJson(path, value) {
  return api(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(value),
  });
}

let schemaPromise = null;

// GET /api/v1/scenario, once per page: {parameters: [...], limits: {...}}.
export function loadSchema() {
  if (!schemaPromise) {
    schemaPromise = api('/api/v1/scenario').catch((error) => {
      schemaPromise = null;  // let a later call try again
      throw error;
    });
  }
  return schemaPromise;
}

export const GROUPS = [
  ['population', 'Population'],
  ['run', 'Run'],
  ['disease', 'Disease'],
  ['severity', 'Severity'],
  ['transmission', 'Transmission'],
  ['interventions', 'Interventions'],
];

// "home_infection_risk" -> "Home infection risk".
export function labelOf(name) {
  const words = name.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Two scenario values are the same (arrays entry by entry; null only
// equals null).
export function sameValue(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return a === b;
}

// A value as the address bar holds it: arrays comma-separated
// ("0.1,0.2"), unset (null) as "null".
export function queryValue(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map((v) => String(v)).join(',');
  return String(value);
}

// A query string with the characters an address may hold as they are:
// commas ("age_shares=0,0,1") and the brackets, braces and colons of the
// JSON-encoded timeline (quotes stay %22).
export function readableQuery(text) {
  return text.replace(/%(2C|5B|5D|7B|7D|3A)/g, (match, hex) => String.fromCharCode(Number.parseInt(hex, 16)));
}

// The scenario's values that differ from the defaults, as a query string
// (without "?"), in the schema's order; `extra` entries (such as the name)
// come first, a policy timeline (`interventions`, a non-empty list) last,
// as JSON.
export function scenarioQuery(scenario, parameters, extra = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  for (const parameter of parameters) {
    const value = scenario[parameter.name];
    if (value === undefined) continue;
    if (value === null && !parameter.nullable && parameter.default !== undefined) continue;
    if (!sameValue(value, parameter.default)) query.set(parameter.name, queryValue(value));
  }
  if (Array.isArray(scenario.interventions) && scenario.interventions.length) {
    query.set('interventions', JSON.stringify(scenario.interventions));
  }
  return readableQuery(query.toString());
}

// What an unset (null) optional key means, for a person: "By age (Fatality
// by age)" when its description names a by-age array it falls back to,
// "From household size shares" for another array, else "Default".
export function nullChoiceLabel(parameter, parameters = []) {
  const text = parameter.description || '';
  const unsetAt = text.search(/unset|null/i);
  const tail = unsetAt >= 0 ? text.slice(unsetAt) : text;
  const arrays = parameters.filter((p) => p.type === 'array' && p.name !== parameter.name);
  const named = arrays.find((p) => tail.includes(p.name));
  if (!named) return 'Default';
  if (Array.isArray(named.labels) && named.labels[0] === '0-9') return `By age (${labelOf(named.name).toLowerCase()})`;
  return `From ${labelOf(named.name).toLowerCase()}`;
}

// Element builder: el('a', {href: '/', class: 'x'}, 'text', child, ...).
// Attributes set to null, undefined or false are left out; true sets "".
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (name === 'style') {
      // Through the CSSOM: the Content-Security-Policy refuses style attributes.
      node.style.cssText = String(value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compactFormats = [0, 1, 2].map((digits) => new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: digits }));
const exactFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 10 });
const compactUnits = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 };
const decimalFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });
const smallDecimalFormat = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });
const ratioFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percentFormat = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

export const formatCount = (value) => (value === null || value === undefined ? '–' : integerFormat.format(value));
// An axis tick: short ("1.25K", "2M") only where that is the exact value,
// else written out ("1,234,567"); never rounded ("1.3K" for 1,250).
export function formatCompact(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const exact = Number(value.toPrecision(12));
  if (Math.abs(exact) >= 1000) {
    for (const format of compactFormats) {
      const text = format.format(exact);
      const match = /^(-?[\d.]+)([KMBT])$/.exec(text);
      if (match && Math.abs(Number(match[1]) * compactUnits[match[2]] - exact) <= 1e-9 * Math.abs(exact)) return text;
    }
  }
  return exactFormat.format(exact);
}
// Small values keep three significant digits ("0.0000161"), not "0".
export const formatDecimal = (value) =>
  (value !== 0 && Math.abs(value) < 0.01 ? smallDecimalFormat : decimalFormat).format(value);
// A reproduction number: "1.23", or "–" when unknown.
export const formatRatio = (value) => (value === null || value === undefined || Number.isNaN(value) ? '–' : ratioFormat.format(value));
const smallPercentFormat = new Intl.NumberFormat('en-US', { style: 'percent', maximumSignificantDigits: 2 });
// Small shares keep two significant digits ("0.015%"), not "0%".
export const formatPercent = (value) =>
  (value > 0 && value < 0.01 ? smallPercentFormat : percentFormat).format(value);

// A scenario value as a person reads it: arrays as a list, an unset
// optional key as what it falls back to (`parameters`: the schema's list).
export function formatValue(value, parameter, parameters = []) {
  if (value === null || value === undefined) {
    return parameter && parameter.nullable ? nullChoiceLabel(parameter, parameters).toLowerCase() : '–';
  }
  if (Array.isArray(value)) return value.map((v) => formatValue(v, parameter)).join(', ');
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value !== 'number') return String(value);
  if (parameter && parameter.type === 'integer' && parameter.name !== 'seed') return integerFormat.format(value);
  return parameter && parameter.name === 'seed' ? String(value) : formatDecimal(value);
}

// "2026-11-28T15:04:05.123Z" -> local date and time, or "–".
export function formatTime(value) {
  if (!value) return '–';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const STATUS_LABELS = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

// A status badge: <span class="status status-running">Running</span>.
export function statusBadge(status) {
  const known = Object.hasOwn(STATUS_LABELS, status);
  return el('span', { class: `status status-${known ? status : 'unknown'}` }, known ? STATUS_LABELS[status] : status);
}

// Shows `message` (text or nodes) in the page's banner; null hides it.
export function showBanner(banner, message, kind = 'error') {
  banner.replaceChildren();
  if (message === null) {
    banner.hidden = true;
    return;
  }
  banner.className = `banner banner-${kind}`;
  banner.append(...(Array.isArray(message) ? message : [message]));
  banner.hidden = false;
}

export function shortId(id) {
  return String(id).slice(0, 8);
}
