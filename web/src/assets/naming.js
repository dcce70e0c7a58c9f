// Names for runs that were not given one: a short name built from what their
// scenario changes from the defaults and the size of their population
// ("contact tracing, 300k", "lockdown + vaccination, 50k", "defaults, 100k"),
// so that a list of unnamed runs can be told apart.

import { formatValue, labelOf, sameValue } from './app.js';

// The name the API gives a run submitted without one.
export const DEFAULT_NAME = 'simulation';

// Keys that are not differences of the scenario worth a name: the
// population is the name's suffix, the timeline is named by its items.
const LEFT_OUT = new Set(['population', 'seed', 'replicates', 'interventions']);

// At most this many parameters are named; the rest are counted ("+2 more").
const MAX_NAMED = 2;

// 300000 -> "300k", 1500000 -> "1.5M", 950 -> "950".
export function populationText(population) {
  if (!Number.isFinite(population)) return '';
  const short = (value, unit) => `${Number.parseFloat(value.toFixed(value < 10 ? 1 : 0))}${unit}`;
  if (population >= 1e6) return short(population / 1e6, 'M');
  if (population >= 1e3) return short(population / 1e3, 'k');
  return String(population);
}

function parameterLabel(parameter) {
  const label = typeof parameter.label === 'string' && parameter.label.trim() ? parameter.label.trim() : labelOf(parameter.name);
  // "Contact tracing" -> "contact tracing", but "ICU beds" stays.
  return /^.[A-Z]/.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
}

// One difference from the defaults in words: a switch by its label ("contact
// tracing", "no contact tracing"), a value by label and value ("latent
// period 5"), a list by its label alone.
function differenceText(parameter, value) {
  const label = parameterLabel(parameter);
  if (parameter.name === 'days') return `${formatValue(value, parameter)} days`;
  if (typeof value === 'boolean') return value ? label : `no ${label}`;
  if (Array.isArray(value)) return `own ${label}`;
  if (value === null) return `${label} unset`;
  return `${label} ${formatValue(value, parameter)}`;
}

// The timeline's items by name (else their type's title), each once.
function timelineText(scenario, schema) {
  const items = Array.isArray(scenario.interventions) ? scenario.interventions : [];
  const types = new Map((schema?.interventions?.types || []).map((type) => [type.name, type]));
  const names = [];
  for (const item of items) {
    const own = typeof item?.name === 'string' ? item.name.trim() : '';
    const type = types.get(item?.type)?.title || labelOf(String(item?.type ?? 'item'));
    const name = (own || type).toLowerCase();
    if (!names.includes(name)) names.push(name);
  }
  return names.join(' + ');
}

// The differences of `scenario` from the schema's defaults in words:
// switches first (they say most about a run), then the other values, each
// in the schema's order.
export function differencesText(scenario, schema) {
  const switches = [];
  const values = [];
  for (const parameter of schema?.parameters || []) {
    if (LEFT_OUT.has(parameter.name) || !Object.hasOwn(scenario, parameter.name)) continue;
    const value = scenario[parameter.name];
    if (value === undefined || sameValue(value, parameter.default ?? null)) continue;
    (typeof value === 'boolean' ? switches : values).push(differenceText(parameter, value));
  }
  const parts = [...switches, ...values];
  const named = parts.slice(0, MAX_NAMED);
  if (parts.length > MAX_NAMED) named.push(`+${parts.length - MAX_NAMED} more`);
  const timeline = timelineText(scenario, schema);
  return [timeline, named.join(', ')].filter(Boolean).join(', ');
}

// A run's name for people: its own name when it was given one, else one
// built from its scenario (`sim`: the simulation document; `schema`: GET
// /api/v1/scenario, or null when it could not be read).
export function runName(sim, schema) {
  const own = typeof sim?.name === 'string' ? sim.name.trim() : '';
  if (own && own !== DEFAULT_NAME) return own;
  const scenario = sim?.scenario;
  if (!scenario || typeof scenario !== 'object' || Array.isArray(scenario)) return own || DEFAULT_NAME;
  // Without the defaults, nothing can be said about the differences.
  const changes = schema ? differencesText(scenario, schema) || 'defaults' : own || DEFAULT_NAME;
  return [changes, populationText(scenario.population)].filter(Boolean).join(', ');
}
