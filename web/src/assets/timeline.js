// The policy timeline (the scenario's `interventions`): labels and schedules
// of its items, their compact and full forms, and the days on which each was
// active. Shared by the form, the results page and the comparison.

import { el, labelOf, sameValue } from './app.js';

// Colours of the items, distinct from the metrics' lines (which use the
// Okabe-Ito colours at full strength): the items are drawn as light shading.
export const ITEM_COLORS = ['#7570b3', '#1b9e77', '#d95f02', '#e7298a', '#66a61e', '#a6761d', '#666666', '#e6ab02'];

export function itemColor(id) {
  return ITEM_COLORS[id % ITEM_COLORS.length];
}

// The API's description of the timeline (GET /api/v1/scenario ->
// "interventions"): its types by name.
export function typesOf(description) {
  return new Map((description?.types || []).map((type) => [type.name, type]));
}

// An item as a person names it: its name, else "type #id".
export function itemLabel(item, id) {
  const name = typeof item?.name === 'string' ? item.name.trim() : '';
  return name || `${item?.type ?? 'item'} #${id}`;
}

function metricText(metric, description) {
  const known = (description?.trigger_metrics || []).find((m) => m.name === metric);
  return known?.description ? known.description.charAt(0).toLowerCase() + known.description.slice(1) : labelOf(String(metric)).toLowerCase();
}

// When an item is on, in words: "days 30 to 71", "from day 10", "when
// symptom onsets ... rise above 100, until they fall below 20".
export function scheduleText(item, description) {
  const hasEnd = item.end_day !== undefined && item.end_day !== null;
  let text;
  if (item.start_when) {
    text = `when ${metricText(item.start_when.metric, description)} rise above ${item.start_when.above}`;
    if (item.start_day) text += ` (from day ${item.start_day} on)`;
    if (hasEnd) text += `, up to day ${item.end_day}`;
  } else {
    text = hasEnd ? `days ${item.start_day ?? 0} to ${item.end_day}` : `from day ${item.start_day ?? 0}`;
  }
  if (item.end_when) text += `, until ${metricText(item.end_when.metric, description)} fall below ${item.end_when.below}`;
  return text;
}

// The parameters of an item that differ from its type's defaults, as
// "coverage 0.5, mode places"; "defaults" when none do.
export function parametersText(item, types) {
  const type = types.get(item.type);
  if (!type) return '';
  const changed = type.parameters.filter((p) => p.name in item && !sameValue(item[p.name], p.default));
  if (changed.length === 0) return 'defaults';
  return changed.map((p) => `${labelOf(p.name).toLowerCase()} ${item[p.name] === null ? 'unset' : item[p.name]}`).join(', ');
}

// An item with only what it needs: its schedule and the parameters that
// differ from the defaults (every missing parameter takes its default).
export function compactItem(item, types) {
  const out = { type: item.type };
  if (typeof item.name === 'string' && item.name.trim()) out.name = item.name;
  if (item.start_when) {
    if (item.start_day) out.start_day = item.start_day;
    out.start_when = item.start_when;
  } else {
    out.start_day = item.start_day ?? 0;
  }
  if (item.end_day !== undefined && item.end_day !== null) out.end_day = item.end_day;
  if (item.end_when) out.end_when = item.end_when;
  const type = types.get(item.type);
  for (const parameter of type?.parameters || []) {
    if (parameter.name in item && !sameValue(item[parameter.name], parameter.default)) out[parameter.name] = item[parameter.name];
  }
  return out;
}

// Two timelines hold the same items in the same order (missing parameters
// read as their defaults).
export function sameTimeline(a, b, types) {
  const canonical = (items) => JSON.stringify((items || []).map((item) => {
    const compact = compactItem(item, types);
    return Object.keys(compact).sort().map((key) => [key, compact[key]]);
  }));
  return canonical(a) === canonical(b);
}

// The items a run ran: the document's `timeline` (the scenario's items,
// then one for each flat switch that is on), or, from a server that does
// not send it, the same worked out from the scenario.
export function effectiveTimeline(sim) {
  if (Array.isArray(sim?.timeline)) return sim.timeline;
  const scenario = sim?.scenario || {};
  const items = Array.isArray(scenario.interventions) ? [...scenario.interventions] : [];
  if (scenario.symptomatic_isolation) items.push({ type: 'case_isolation', name: 'symptomatic_isolation', start_day: 0 });
  if (scenario.contact_tracing) items.push({ type: 'contact_tracing', name: 'contact_tracing', start_day: 0 });
  return items;
}

// Whether any row says which items were active (`interventions_active`).
export function reportsActivity(rowLists) {
  return rowLists.some((rows) => rows.some((row) => row && Array.isArray(row.interventions_active)));
}

// The days on which each item was active in any of the runs: Map id ->
// [[first, last], ...] (inclusive, ascending). `rowLists`: one list of day
// rows per run, each row with `day` and `interventions_active: [ids]`.
export function activeRanges(rowLists) {
  const days = new Map();
  for (const rows of rowLists) {
    for (const row of rows) {
      if (!row || !Array.isArray(row.interventions_active)) continue;
      for (const id of row.interventions_active) {
        if (!days.has(id)) days.set(id, new Set());
        days.get(id).add(Number(row.day));
      }
    }
  }
  const ranges = new Map();
  for (const [id, set] of days) {
    const sorted = [...set].sort((a, b) => a - b);
    const list = [];
    for (const day of sorted) {
      const last = list[list.length - 1];
      if (last && day === last[1] + 1) last[1] = day;
      else list.push([day, day]);
    }
    ranges.set(id, list);
  }
  return ranges;
}

// "on days 30-71 and 90-95", "on day 4", or "never on".
export function onText(ranges) {
  return ranges && ranges.length ? `on ${rangesText(ranges)}` : 'never on';
}

// "days 30-71 and 90-95", "day 4", or "never".
export function rangesText(ranges) {
  if (!ranges || ranges.length === 0) return 'never';
  const parts = ranges.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  const single = ranges.length === 1 && ranges[0][0] === ranges[0][1];
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0];
  return `${single ? 'day' : 'days'} ${list}`;
}

// A strip of the days 0..days: one lane per item with a bar for each
// period it was active (or, when `ranges` is null, planned by fixed days).
export function timelineStrip(items, ranges, days, label) {
  const span = Math.max(1, days + 1);
  const lanes = items.map((item, id) => {
    let list = ranges ? ranges.get(id) || [] : null;
    if (!list) {
      const end = item.end_day ?? days;
      list = item.start_when ? [] : [[item.start_day ?? 0, Math.min(end, days)]];
    }
    const bars = list.filter(([a]) => a <= days).map(([a, b]) => el('span', {
      class: 'strip-bar',
      style: `left:${(100 * a) / span}%;width:${(100 * (Math.min(b, days) - a + 1)) / span}%;background:${itemColor(id)}`,
    }));
    return el('div', { class: 'strip-lane', 'data-item': id }, bars);
  });
  return el('div', { class: 'timeline-strip', role: 'img', 'aria-label': label }, lanes,
    el('div', { class: 'strip-axis', 'aria-hidden': 'true' }, el('span', {}, 'day 0'), el('span', {}, `day ${days}`)));
}
