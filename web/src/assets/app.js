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
  ['transmission', 'Transmission'],
  ['interventions', 'Interventions'],
];

// "home_infection_risk" -> "Home infection risk".
export function labelOf(name) {
  const words = name.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// The scenario's values that differ from the defaults, as a query string
// (without "?"), in the schema's order; `extra` entries (such as the name)
// come first.
export function scenarioQuery(scenario, parameters, extra = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  for (const parameter of parameters) {
    const value = scenario[parameter.name];
    if (value === undefined || value === null) continue;
    if (value !== parameter.default) query.set(parameter.name, String(value));
  }
  return query.toString();
}

// Element builder: el('a', {href: '/', class: 'x'}, 'text', child, ...).
// Attributes set to null, undefined or false are left out; true sets "".
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
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
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const decimalFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });
const percentFormat = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

export const formatCount = (value) => (value === null || value === undefined ? '–' : integerFormat.format(value));
export const formatCompact = (value) => compactFormat.format(value);
const smallPercentFormat = new Intl.NumberFormat('en-US', { style: 'percent', maximumSignificantDigits: 2 });
// Small shares keep two significant digits ("0.015%"), not "0%".
export const formatPercent = (value) =>
  (value > 0 && value < 0.01 ? smallPercentFormat : percentFormat).format(value);

// A scenario value as a person reads it.
export function formatValue(value, parameter) {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value !== 'number') return String(value);
  if (parameter && parameter.type === 'integer' && parameter.name !== 'seed') return integerFormat.format(value);
  return parameter && parameter.name === 'seed' ? String(value) : decimalFormat.format(value);
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
