// The results page of one simulation: status and progress, live charts fed
// by the event stream while the run goes on, key figures, the scenario,
// downloads, cancel, and "edit and run again".

import {
  ApiError, FINAL_STATUSES, GROUPS, STATUS_LABELS, api, el, formatCount, formatPercent, formatRatio, formatTime,
  formatValue, labelOf, loadSchema, postJson, sameValue, scenarioQuery, shortId, showBanner, statusBadge,
} from './app.js';
import { LineChart, dayAxis, withAlpha } from './chart.js';
import {
  activeRanges, compactItem, effectiveTimeline, itemColor, itemLabel, onText, parametersText, rangesText, reportsActivity, scheduleText,
  timelineStrip, typesOf,
} from './timeline.js';
import { compareHref, comparedIds, rememberSimulation, savedSimulations, setCompared } from './saved.js';
import { runName } from './naming.js';

const METRICS = [
  { key: 'currently_infected', label: 'Currently infected', color: '#d55e00' },
  { key: 'symptomatic', label: 'Symptomatic', color: '#a66f00' },
  { key: 'isolated', label: 'Isolated by tracing', color: '#0072b2' },
  { key: 'dead', label: 'Dead (cumulative)', color: '#000000' },
  { key: 'total_infected', label: 'Total infected (cumulative)', color: '#b8568f' },
];
const HOSPITAL = [
  { key: 'hospitalized', label: 'In hospital', color: '#0072b2' },
  { key: 'critical', label: 'In critical care', color: '#d55e00' },
];
const RT = [{ key: 'r_t', label: 'R_t', color: '#009e73' }];
const CAPACITY_COLOR = '#a61b1b';
const ROUTES = [
  { key: 'infections_home', label: 'Home', color: '#009e73' },
  { key: 'infections_work', label: 'Work', color: '#0072b2' },
  { key: 'infections_school', label: 'School', color: '#b8568f' },
  { key: 'infections_community', label: 'Community', color: '#a66f00' },
];

const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(window.location.pathname.split('/').filter(Boolean)[1] || '');
const base = `/api/v1/simulations/${encodeURIComponent(id)}`;

let sim = null;  // the latest simulation document
let schema = null;  // GET /api/v1/scenario, or null when it could not be loaded
const runs = new Map();  // replicate (1-based) -> rows indexed by day
let summary = null;  // {mean, p5, p95}: rows indexed by day
let events = null;  // the EventSource while the run is live
let rtTimer = null;  // while running: the next look for R_t values learnt late
let lastEventId = '';
let renderPending = false;
let epidemicChart = null;
let hospitalChart = null;
let rtChart = null;
let routesChart = null;

// ---- data -------------------------------------------------------------------

const known = (value) => value !== null && value !== undefined && !Number.isNaN(value);

// A day arrives once, and may come again later with more known (R_t is
// known only once everyone infected that day has stopped being
// infectious): the newer row wins, but never forgets a known R_t.
function storeDay(row) {
  dataVersion += 1;
  const replicate = Number(row.replicate) || 1;
  if (!runs.has(replicate)) runs.set(replicate, []);
  const rows = runs.get(replicate);
  const previous = rows[row.day];
  if (!previous) rows[row.day] = row;
  else rows[row.day] = { ...previous, ...row, r_t: known(row.r_t) ? row.r_t : previous.r_t };
}

// R_t of earlier days learnt later, in any of these shapes:
// {replicate?, day, r_t}, {replicate?, days: [{day, r_t}]} or
// {replicate?, r_t: {"12": 1.3}}. Days not held yet are left alone.
function storeRt(update) {
  dataVersion += 1;
  const replicate = Number(update.replicate) || 1;
  const rows = runs.get(replicate);
  if (!rows) return;
  const set = (day, value) => {
    const row = rows[Number(day)];
    if (row && known(value)) rows[Number(day)] = { ...row, r_t: value };
  };
  if (Array.isArray(update.days)) for (const item of update.days) set(item.day, item.r_t);
  else if (update.r_t && typeof update.r_t === 'object') for (const [day, value] of Object.entries(update.r_t)) set(day, value);
  else if (update.day !== undefined) set(update.day, update.r_t);
}

function storeResults(results) {
  dataVersion += 1;
  runs.clear();
  for (const replicate of results.replicates || []) {
    for (const row of replicate.days || []) storeDay({ ...row, replicate: replicate.replicate });
  }
  summary = results.summary || null;
  aggregateCache = null;
}

function replicateCount() {
  return sim?.progress?.replicates ?? sim?.scenario?.replicates ?? 1;
}

function dayCount() {
  return sim?.progress?.days ?? sim?.scenario?.days ?? null;
}

function observationCount() {
  let count = 0;
  for (const rows of runs.values()) count += rows.filter(Boolean).length;
  return count;
}

function lastDayHeld() {
  let last = -1;
  for (const rows of runs.values()) last = Math.max(last, rows.length - 1);
  if (summary) last = Math.max(last, summary.mean.length - 1);
  return last;
}

// "1 run", "7 runs".
function plural(count, one, many = `${one}s`) {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

// A run is complete when every one of its days is held.
function isComplete(rows) {
  const days = dayCount();
  return days !== null && rows.length === days + 1 && rows.filter(Boolean).length === days + 1;
}

// The complete runs held, in order: [[replicate, rows], ...].
function completeRuns() {
  return [...runs.entries()].filter(([, rows]) => isComplete(rows)).sort((a, b) => a[0] - b[0]);
}

// The run being computed now (several runs, still live), else null.
function runningReplicate() {
  if (replicateCount() <= 1 || FINAL_STATUSES.has(sim.status)) return null;
  const open = [...runs.entries()].filter(([, rows]) => !isComplete(rows)).map(([replicate]) => replicate);
  return open.length ? Math.max(...open) : null;
}

// Hyndman & Fan type 7, as the server's day summaries.
function percentile(sorted, q) {
  const h = q * (sorted.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

const SUMMARY_KEYS = [
  'currently_infected', 'symptomatic', 'isolated', 'dead', 'total_infected', 'hospitalized', 'critical', 'r_t',
  'new_infections', 'infections_home', 'infections_work', 'infections_school', 'infections_community',
];

// Mean, p5 and p95 per day over `lists` (rows of complete runs); R_t only
// on days every run knows it, as the server does.
function summarise(lists) {
  const length = Math.max(...lists.map((rows) => rows.length));
  const mean = [];
  const p5 = [];
  const p95 = [];
  for (let day = 0; day < length; day += 1) {
    const m = { day };
    const lo = { day };
    const hi = { day };
    for (const key of SUMMARY_KEYS) {
      const values = lists.map((rows) => rows[day]?.[key]);
      if (values.some((value) => !known(value))) {
        m[key] = null; lo[key] = null; hi[key] = null;
        continue;
      }
      values.sort((a, b) => a - b);
      m[key] = values.reduce((a, b) => a + b, 0) / values.length;
      lo[key] = percentile(values, 0.05);
      hi[key] = percentile(values, 0.95);
    }
    mean.push(m); p5.push(lo); p95.push(hi);
  }
  return { mean, p5, p95 };
}

// What the charts, key figures and legends describe, all the same runs:
// {kind: 'summary' (mean with a band over `count` runs) | 'single' (one
// run's rows) | 'none', rows, p5, p95, count, partial, running (the
// replicate being computed, drawn apart), incomplete (rows of a run that
// did not finish, shown only when no run is complete)}.
let aggregateCache = null;
let dataVersion = 0;  // counts changes of the data held
let aggregateMemo = null;  // aggregate() for one version of the data and status

function aggregate() {
  const key = `${dataVersion}:${sim.status}:${sim.attempts}:${dayCount()}:${replicateCount()}`;
  if (aggregateMemo?.key !== key) aggregateMemo = { key, value: computeAggregate() };
  return aggregateMemo.value;
}

function computeAggregate() {
  const replicates = replicateCount();
  const running = runningReplicate();
  const complete = completeRuns();
  const ended = FINAL_STATUSES.has(sim.status);
  const partialEnd = ended && sim.status !== 'succeeded';
  if (summary) {
    const count = summary.replicates ?? sim.figures?.complete ?? (partialEnd ? complete.length : replicates);
    return {
      kind: 'summary', rows: summary.mean, p5: summary.p5 || [], p95: summary.p95 || [], count,
      partial: summary.partial ?? (count < replicates), running,
    };
  }
  if (replicates <= 1) {
    const rows = runs.get(1) || [];
    return { kind: rows.length ? 'single' : 'none', rows, count: 1, complete: isComplete(rows), partial: false, running: null };
  }
  if (complete.length >= 2) {
    const key = `${sim.attempts}:${complete.map(([r]) => r).join(',')}`;
    if (!aggregateCache || aggregateCache.key !== key) aggregateCache = { key, value: summarise(complete.map(([, rows]) => rows)) };
    const { mean, p5, p95 } = aggregateCache.value;
    return { kind: 'summary', rows: mean, p5, p95, count: complete.length, partial: partialEnd && complete.length < replicates, running };
  }
  if (complete.length === 1) {
    return { kind: 'single', rows: complete[0][1], replicate: complete[0][0], count: 1, complete: true, partial: partialEnd, running };
  }
  // No run complete: the run that was (or is being) computed.
  const latest = runs.size ? Math.max(...runs.keys()) : null;
  if (ended && latest !== null) {
    return { kind: 'single', rows: runs.get(latest), replicate: latest, count: 0, complete: false, partial: partialEnd, running: null };
  }
  return { kind: 'none', rows: [], count: 0, partial: false, running };
}

// Key figures of one run's rows (see the simulation document's `figures`).
function runFigures(rows) {
  const population = sim.scenario?.population || 0;
  const last = lastRow(rows);
  if (!last) return null;
  const peak = peakOf(rows, 'currently_infected') || { value: 0, day: 0 };
  const hospital = peakOf(rows, 'hospitalized');
  let recent = 0;
  for (let day = Math.max(0, last.day - 6); day <= last.day; day += 1) recent += rows[day]?.new_infections ?? 0;
  let endedOn = null;
  if (last.currently_infected === 0) {
    endedOn = last.day;
    while (endedOn > 0 && rows[endedOn - 1] && rows[endedOn - 1].currently_infected === 0) endedOn -= 1;
    if (endedOn === last.day) endedOn = null;
  }
  return {
    peak_infected: peak.value,
    peak_day: peak.day,
    total_infected: last.total_infected,
    attack_rate: population ? last.total_infected / population : null,
    dead: last.dead,
    peak_hospitalized: hospital?.value ?? null,
    peak_hospitalized_day: hospital?.day ?? null,
    infected_at_end: last.currently_infected,
    new_infections_last_7_days: recent,
    still_spreading: recent > 0,
    ended_on_day: endedOn,
  };
}

const FIGURE_KEYS = ['peak_infected', 'peak_day', 'total_infected', 'attack_rate', 'dead', 'peak_hospitalized', 'peak_hospitalized_day',
  'infected_at_end', 'new_infections_last_7_days'];

// The `figures` object of the API, computed here from complete runs.
function figuresOf(list) {
  const stats = (key, fn) => {
    const values = list.map((run) => run[key]).filter(known).sort((a, b) => a - b);
    return values.length ? fn(values) : null;
  };
  const mean = {};
  const p5 = {};
  const p95 = {};
  for (const key of FIGURE_KEYS) {
    mean[key] = stats(key, (v) => v.reduce((a, b) => a + b, 0) / v.length);
    p5[key] = stats(key, (v) => percentile(v, 0.05));
    p95[key] = stats(key, (v) => percentile(v, 0.95));
  }
  return { runs: list, complete: list.length, mean, p5, p95, still_spreading: list.filter((run) => run.still_spreading).length };
}

// The key figures that go with aggregate(): the server's `figures` once the
// job has ended (or for a finished page, which holds no runs), else from
// the complete runs held.
function keyFigures(agg) {
  const server = sim.figures;
  if (server && server.complete > 0 && FINAL_STATUSES.has(sim.status) && (agg.kind === 'summary' || agg.complete)) {
    return { ...server, source: 'server' };
  }
  if (agg.kind === 'none') return null;
  if (agg.kind === 'single') {
    const run = runFigures(agg.rows);
    return run ? { ...figuresOf([run]), complete: agg.complete ? 1 : 0, so_far: !agg.complete } : null;
  }
  const list = completeRuns().map(([, rows]) => runFigures(rows)).filter(Boolean);
  if (list.length === agg.count && list.length > 0) return figuresOf(list);
  // A finished page holds only the summary: its mean, without ranges.
  const run = runFigures(agg.rows);
  return run ? { ...figuresOf([run]), complete: agg.count, ranges: false, still_spreading: run.still_spreading ? null : 0 } : null;
}

// The rows the key figures and the route chart are about.
function basis() {
  const agg = aggregate();
  return { rows: agg.rows, note: basisNote(agg), agg };
}

function basisNote(agg) {
  const replicates = replicateCount();
  const live = !FINAL_STATUSES.has(sim.status);
  if (agg.kind === 'summary') {
    if (live) return `mean of ${plural(agg.count, 'completed run')}`;
    if (agg.partial) return `partial: mean of the ${plural(agg.count, 'complete run')} of ${formatCount(replicates)}`;
    return `mean of ${plural(agg.count, 'run')}`;
  }
  if (agg.kind === 'single') {
    if (replicates <= 1) return live ? 'so far' : (agg.complete ? '' : `partial: up to day ${lastRow(agg.rows)?.day ?? 0}`);
    if (agg.complete && live) return `run ${agg.replicate}, the only completed run so far`;
    if (agg.complete) return agg.partial ? `partial: run ${agg.replicate}, the only complete run of ${formatCount(replicates)}` : `run ${agg.replicate}`;
    return `partial: run ${agg.replicate} up to day ${lastRow(agg.rows)?.day ?? 0}, no run complete`;
  }
  return live && replicates > 1 ? 'none yet: the first run is being computed' : '';
}

function column(rows, key, length) {
  const values = new Array(length).fill(null);
  rows.forEach((row, day) => {
    if (row && day < length) values[day] = row[key];
  });
  return values;
}

// ---- rendering ----------------------------------------------------------------

function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    renderStatus();
    renderData();
  });
}

// The series of `metrics` over `length` days, all describing the same runs
// as the key figures: the mean with a 5-95% band over the complete runs
// (two or more), or one run; while several runs compute, the run being
// computed as a faint line of its own, labelled as such.
function linesSpec(metrics, length) {
  const series = [];
  const data = [dayAxis(length)];
  const bands = [];
  const agg = aggregate();
  if (agg.kind === 'summary') {
    for (const metric of metrics) {
      series.push({ label: metric.label, color: metric.color, width: 2 });
      data.push(column(agg.rows, metric.key, length));
      const of = series.length;
      series.push({ label: `${metric.label}, 95th percentile`, color: metric.color, alpha: 0.25, width: 1, legend: false });
      data.push(column(agg.p95, metric.key, length));
      series.push({ label: `${metric.label}, 5th percentile`, color: metric.color, alpha: 0.25, width: 1, legend: false });
      data.push(column(agg.p5, metric.key, length));
      bands.push({ upper: series.length - 1, lower: series.length, color: withAlpha(metric.color, 0.15), of });
    }
  } else if (agg.kind === 'single') {
    const suffix = replicateCount() > 1 ? ` (run ${agg.replicate}${agg.complete ? '' : ', incomplete'})` : '';
    for (const metric of metrics) {
      series.push({ label: `${metric.label}${suffix}`, color: metric.color, width: 2 });
      data.push(column(agg.rows, metric.key, length));
    }
  }
  if (agg.running !== null && runs.has(agg.running)) {
    const rows = runs.get(agg.running);
    const solo = agg.kind === 'none';
    for (const metric of metrics) {
      series.push({
        label: `${metric.label}, run ${agg.running} (running)`,
        legendLabel: `${metric.label}: run ${agg.running} (running)`,
        color: metric.color,
        alpha: solo ? 1 : 0.35,
        width: solo ? 1.5 : 1,
        dash: solo ? undefined : [4, 3],
      });
      data.push(column(rows, metric.key, length));
    }
  }
  const spec = { series, data, bands };
  if (bands.length) {
    spec.bandLabel = `5th–95th percentile over ${plural(agg.count, FINAL_STATUSES.has(sim.status) ? (agg.partial ? 'complete run' : 'run') : 'completed run')}`;
    // The page's own caption under each chart says what the band is.
    spec.bandCaption = false;
  }
  return spec;
}

// The sentence under a chart that says what its lines and band are.
function bandCaption(what) {
  const agg = aggregate();
  const live = !FINAL_STATUSES.has(sim.status);
  const running = agg.running !== null ? ` The dashed faint line is run ${agg.running}, still being computed, which is not in the mean.` : '';
  if (agg.kind === 'summary') {
    const runsText = plural(agg.count, live ? 'completed run' : (agg.partial ? 'complete run' : 'run'));
    return `Lines: the mean ${what} over ${runsText}${agg.partial ? ' (partial: the incomplete run is left out)' : ''}. `
      + `Shaded band: the 5th to 95th percentile over those runs, the range in which 90% of them fall each day.${running}`;
  }
  if (agg.kind === 'single' && replicateCount() > 1) {
    return `Lines: ${what} in run ${agg.replicate}${agg.complete ? '' : ' (incomplete)'}; a band appears once two runs are complete.${running}`;
  }
  if (agg.kind === 'none' && agg.running !== null) return `Lines: run ${agg.running}, being computed; the mean and its band appear once two runs are complete.`;
  return '';
}

// ---- the policy timeline ------------------------------------------------------

// The items the run ran (ids = places in this list) and the days on which
// each was on in any run so far: {items, ranges: Map id -> [[a, b]], reported}.
function timelineState() {
  const items = effectiveTimeline(sim);
  // A finished page reads the summary alone, whose rows list the items on
  // that day in any run.
  const rowLists = runs.size ? [...runs.values()] : (summary?.mean ? [summary.mean] : []);
  return { items, ranges: activeRanges(rowLists), reported: reportsActivity(rowLists) };
}

// The shading of every chart: one period per item, with its days.
function periodsSpec() {
  const { items, ranges, reported } = timelineState();
  return items.map((item, id) => ({
    label: itemLabel(item, id),
    color: itemColor(id),
    ranges: ranges.get(id) || [],
    text: reported ? onText(ranges.get(id)) : '',
  }));
}

// A sentence for each chart's caption about its shading.
function periodsNote() {
  const { items, reported } = timelineState();
  if (items.length === 0 || !reported) return '';
  const replicates = replicateCount();
  return replicates > 1
    ? ` Shaded: the days on which each policy timeline item was on in any of the ${replicates} runs.`
    : ' Shaded: the days on which each policy timeline item was on.';
}

function renderTimeline() {
  const { items, ranges, reported } = timelineState();
  const section = $('timeline-section');
  section.hidden = items.length === 0;
  if (items.length === 0) return;
  const types = typesOf(schema?.interventions);
  const replicates = replicateCount();
  const days = sim.scenario?.days ?? Math.max(0, lastDayHeld());
  $('timeline-on-heading').textContent = replicates > 1 ? `On (in any of ${replicates} runs)` : 'On';
  const waiting = observationCount() === 0;
  let note = 'This server does not report the days on which each item was on.';
  if (reported) {
    note = replicates > 1
      ? 'The strip and the charts shade the days on which an item was on in any of the runs.'
      : 'The strip and the charts shade the days on which each item was on.';
  } else if (waiting) {
    note = 'The days on which each item is on appear as the run computes them.';
  }
  $('timeline-note').textContent = `Each item in the order it runs, its id its place (from 0). ${note}`;
  $('timeline-strip').replaceChildren(reported
    ? timelineStrip(items, ranges, days, `Days on which each item was on, from day 0 to day ${days}`)
    : '');
  $('timeline-table').tBodies[0].replaceChildren(...items.map((item, id) => el('tr', { 'data-item': id },
    el('th', { scope: 'row' },
      el('span', { class: 'legend-swatch legend-swatch-period', style: `background:${itemColor(id)}`, 'aria-hidden': 'true' }),
      itemLabel(item, id), el('span', { class: 'sub' }, `id ${id}`)),
    el('td', {}, types.get(item.type)?.title || item.type),
    el('td', {}, scheduleText(item, schema?.interventions)),
    el('td', {}, parametersText(item, types)),
    el('td', { class: 'timeline-on' }, reported ? rangesText(ranges.get(id)) : (waiting ? '–' : 'not reported')))));
}

function epidemicSpec(length) {
  return {
    ...linesSpec(METRICS, length), xMax: sim.scenario?.days, log: $('log-scale').checked, periods: periodsSpec(), population: sim.scenario?.population,
  };
}

// The capacity typed on the page (kept in the address), or null.
function capacity() {
  const input = $('capacity');
  if (!input || input.value.trim() === '' || input.validity.badInput) return null;
  const value = Number(input.value);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

function peakOf(rows, key) {
  let peak = null;
  rows.forEach((row, day) => {
    if (row && known(row[key]) && (peak === null || row[key] > peak.value)) peak = { value: row[key], day };
  });
  return peak;
}

function lastRow(rows) {
  for (let day = rows.length - 1; day >= 0; day -= 1) if (rows[day]) return rows[day];
  return null;
}

function figure(term, value, details = [], flag = null) {
  return el('div', { class: `figure${flag ? ' figure-flagged' : ''}` }, el('dt', {}, term),
    el('dd', {}, value, flag ? el('span', { class: 'figure-flag' }, flag) : null,
      ...details.filter(Boolean).map((detail) => el('span', { class: 'sub' }, detail))));
}

// "5–95%: 38,000–44,000 people", with several runs.
function rangeText(figures, key, format, unit = '') {
  if (figures.ranges === false || (figures.complete ?? 0) < 2) return null;
  const lo = figures.p5?.[key];
  const hi = figures.p95?.[key];
  if (!known(lo) || !known(hi)) return null;
  return `5–95%: ${format(lo)}–${format(hi)}${unit}`;
}

// A count, or a mean of counts: small means keep a decimal ("0.6").
const meanFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const countText = (value) => (Math.abs(value) < 10 && !Number.isInteger(value) ? meanFormat.format(value) : formatCount(Math.round(value)));
const dayText = (value) => formatCount(Math.round(value));

// The address of the form with this scenario and `days` days.
function formHref(days) {
  const parameters = schema?.parameters
    || Object.keys(sim.scenario || {}).map((name) => ({ name, default: undefined }));
  const scenario = { ...(sim.scenario || {}), days };
  if (schema?.interventions && Array.isArray(scenario.interventions)) {
    const types = typesOf(schema.interventions);
    scenario.interventions = scenario.interventions.map((item) => compactItem(item, types));
  }
  const query = scenarioQuery(scenario, parameters, { name: sim.name === 'simulation' ? '' : sim.name });
  return `/${query ? `?${query}` : ''}`;
}

// "Still spreading at the end" (new infections in the last 7 days of some
// run: its totals are not final) with a link to run longer, or "no
// infection left after day N" for runs that ended early.
function renderSpreading(figures) {
  const box = $('spreading');
  const days = dayCount();
  const list = Array.isArray(figures?.runs) ? figures.runs : [];
  const complete = figures?.complete ?? list.length;
  const spreading = figures?.still_spreading;
  if (!figures || complete === 0 || figures.so_far || !known(spreading)) {
    box.hidden = true;
    box.replaceChildren();
    box.dataset.state = '';
    return false;
  }
  if (spreading > 0) {
    const limit = schema?.limits?.days;
    const longer = Number.isFinite(limit) ? Math.min(days * 2, limit) : days * 2;
    let which = complete > 1 ? `in ${formatCount(spreading)} of ${plural(complete, 'run')}` : '';
    if (complete > 1 && spreading === complete) which = complete === 2 ? 'in both runs' : `in all ${formatCount(complete)} runs`;
    const parts = [el('strong', {}, 'Still spreading at the end'),
      `${which ? ` ${which}` : ''}: new infections in the last 7 of the ${plural(days, 'day')}, so the totals are not final.`];
    if (longer > days) {
      parts.push(' ', el('a', { id: 'run-longer', href: formHref(longer) }, `Run longer (${plural(longer, 'day')})`));
    } else {
      parts.push(` This server runs at most ${plural(limit, 'day')}.`);
    }
    box.replaceChildren(...parts);
    box.className = 'spreading spreading-on';
    box.dataset.state = 'spreading';
    box.hidden = false;
    return true;
  }
  const ended = list.map((run) => run.ended_on_day).filter(known);
  if (ended.length && ended.length === list.length) {
    const last = Math.max(...ended);
    box.replaceChildren(el('strong', {}, 'Ended early'), complete > 1
      ? `: in every run no infection was left after day ${formatCount(last)} at the latest; the later days repeat the totals.`
      : `: no infection left after day ${formatCount(last)}; the later days repeat its totals.`);
    box.className = 'spreading spreading-ended';
    box.dataset.state = 'ended';
    box.hidden = false;
    return false;
  }
  box.hidden = true;
  box.replaceChildren();
  box.dataset.state = 'final';
  return false;
}

function renderFigures() {
  const { rows, note, agg } = basis();
  $('figures-basis').textContent = note ? `(${note})` : '';
  const population = sim.scenario?.population;
  const figures = keyFigures(agg);
  const last = lastRow(rows);
  const spreading = renderSpreading(figures);
  if (!figures || !last) {
    $('figures').replaceChildren();
    $('figures').hidden = true;
    $('figures-empty').textContent = agg.running !== null ? `No run completed yet: the figures appear once run ${agg.running} is done.` : 'No days computed yet.';
    $('figures-empty').hidden = false;
    $('epidemic-summary').textContent = agg.running !== null
      ? `Run ${agg.running} is being computed; the chart fills in as its days arrive.`
      : 'No days yet: the chart fills in as the run computes them.';
    return;
  }
  const { mean } = figures;
  const notFinal = spreading ? 'not final' : null;
  const share = (value) => (population ? `${formatPercent(value / population)} of the population` : null);
  const items = [
    // A peak in the last week of a run still spreading may not be the peak.
    figure('Peak currently infected', `${countText(mean.peak_infected)}`,
      [`people, on day ${dayText(mean.peak_day)}`, rangeText(figures, 'peak_infected', countText, ' people')],
      spreading && mean.peak_day >= last.day - 7 ? 'not final' : null),
    figure('Attack rate', known(mean.attack_rate) ? formatPercent(mean.attack_rate) : '–',
      [`${countText(mean.total_infected)} people infected (cumulative) by day ${formatCount(last.day)}`,
        rangeText(figures, 'attack_rate', formatPercent)], notFinal),
    figure('Deaths', countText(mean.dead), [`people (cumulative)${share(mean.dead) ? `, ${share(mean.dead)}` : ''}`,
      rangeText(figures, 'dead', countText, ' people')], notFinal),
  ];
  if (known(mean.peak_hospitalized)) {
    items.push(figure('Peak in hospital', countText(mean.peak_hospitalized),
      [`people, on day ${dayText(mean.peak_hospitalized_day)}`, rangeText(figures, 'peak_hospitalized', countText, ' people')]));
  }
  if (sim.scenario?.contact_tracing) {
    const isolated = peakOf(rows, 'isolated');
    if (isolated) items.push(figure('Peak isolated by tracing', countText(isolated.value), [`people, on day ${isolated.day}${agg.kind === 'summary' ? ' (of the mean)' : ''}`]));
  }
  $('figures').replaceChildren(...items);
  $('figures').hidden = false;
  $('figures-empty').hidden = true;
  const lead = note ? `${note.charAt(0).toUpperCase()}${note.slice(1)}: c` : 'C';
  $('epidemic-summary').textContent =
    `${lead}urrently infected peaked at ${countText(mean.peak_infected)} on day ${dayText(mean.peak_day)}; `
    + `by day ${last.day}, ${known(mean.attack_rate) ? formatPercent(mean.attack_rate) : countText(mean.total_infected)} of the population had been infected and `
    + `${countText(mean.dead)} had died${spreading ? ', and the epidemic was still spreading' : ''}.`;
}

function renderRoutes(length) {
  const { rows } = basis();
  const totals = ROUTES.map((route) => rows.reduce((sum, row) => sum + (row ? row[route.key] ?? 0 : 0), 0));
  const all = totals.reduce((a, b) => a + b, 0);
  if (all > 0) {
    const bar = el('div', { class: 'share-bar', 'aria-hidden': 'true' },
      ROUTES.map((route, i) => el('span', { style: `width:${(100 * totals[i]) / all}%;background:${route.color}` })));
    const list = el('ul', { class: 'share-list' }, ROUTES.map((route, i) => el('li', {},
      el('span', { class: 'legend-swatch', style: `background:${route.color}`, 'aria-hidden': 'true' }),
      `${route.label}: ${formatPercent(totals[i] / all)} (${formatCount(totals[i])})`)));
    $('route-shares').replaceChildren(bar, list);
  } else {
    $('route-shares').replaceChildren(el('p', { class: 'empty' }, 'No transmissions yet.'));
  }
  const spec = { ...linesSpec(ROUTES, length), xMax: sim.scenario?.days, log: false, periods: periodsSpec(), population: sim.scenario?.population };
  routesChart.update(spec);
  $('routes-chart').dataset.series = String(spec.series.length);
  $('routes-bands').textContent = bandCaption('new infections per day at each place');
  $('routes-summary').textContent = all > 0
    ? `New infections per day by place. Over the days shown, ${ROUTES.map((route, i) => `${formatPercent(totals[i] / all)} at ${route.label.toLowerCase()}`).join(', ')} (initial cases excluded).`
    : 'New infections per day by place; none yet.';
}

function renderHospital(length) {
  const { rows, note } = basis();
  const beds = capacity();
  const spec = {
    ...linesSpec(HOSPITAL, length),
    xMax: sim.scenario?.days,
    log: false,
    lines: beds === null ? [] : [{ value: beds, label: `Capacity (${plural(beds, 'bed')})`, color: CAPACITY_COLOR }],
    periods: periodsSpec(),
    population: sim.scenario?.population,
  };
  $('hospital-bands').textContent = bandCaption('number of people in hospital and in critical care');
  const host = $('hospital-chart');
  if (beds !== null) host.dataset.capacity = String(beds);
  else delete host.dataset.capacity;
  hospitalChart.update(spec);
  host.dataset.series = String(spec.series.length);
  const hospital = peakOf(rows, 'hospitalized');
  const critical = peakOf(rows, 'critical');
  if (!hospital) {
    $('hospital-summary').textContent = 'Agents in hospital and in critical care per day; no days yet.';
    return;
  }
  const parts = [`${note ? `${note.charAt(0).toUpperCase()}${note.slice(1)}: a` : 'A'}gents in hospital (critical care included) peaked at ${formatCount(hospital.value)} on day ${hospital.day}`];
  if (critical) parts.push(`in critical care at ${formatCount(critical.value)} on day ${critical.day}`);
  let text = `${parts.join(', ')}.`;
  if (beds !== null) {
    const over = rows.filter((row) => row && row.hospitalized > beds);
    text += over.length
      ? ` Above the capacity of ${plural(beds, 'bed')} on ${plural(over.length, 'day')}, first on day ${over[0].day}.`
      : ` Never above the capacity of ${plural(beds, 'bed')}.`;
  }
  $('hospital-summary').textContent = text;
}

function renderRt(length) {
  const { rows } = basis();
  const spec = {
    ...linesSpec(RT, length), xMax: sim.scenario?.days, log: false, lines: [{ value: 1, label: 'R = 1', color: '#59636b' }], periods: periodsSpec(),
    units: false,
  };
  $('rt-bands').textContent = bandCaption('R_t');
  rtChart.update(spec);
  const days = rows.filter((row) => row && known(row.r_t));
  const host = $('rt-chart');
  host.dataset.known = String(days.length);
  host.dataset.series = String(spec.series.length);
  if (days.length === 0) {
    $('rt-summary').textContent = 'R_t per day of infection; not known for any day yet.';
    return;
  }
  const last = days[days.length - 1];
  const above = days.filter((row) => row.r_t > 1).length;
  const highest = days.reduce((best, row) => (row.r_t > best.r_t ? row : best));
  $('rt-summary').textContent = `R_t per day of infection, known for ${plural(days.length, 'day')} up to day ${last.day}: `
    + `above 1 on ${formatCount(above)} of them; highest ${formatRatio(highest.r_t)} on day ${highest.day}; `
    + `${formatRatio(last.r_t)} on day ${last.day}, the last day known.`;
}

// GET .../{id} `age_totals`: {replicates: [{replicate, bands: [{band,
// agents, infected, hospitalized, critical, dead}]}], sum}, or null until
// the run has them. Several runs are shown as their mean. (A bare list of
// runs, or of one run's bands, reads the same.)
const AGE_COLUMNS = ['agents', 'infected', 'hospitalized', 'critical', 'dead'];

function ageBands(value) {
  if (!value) return null;
  let perRun;
  if (Array.isArray(value)) {
    const first = value[0];
    perRun = Array.isArray(first) || (first && typeof first === 'object' && !('infected' in first)) ? value : [value];
  } else if (Array.isArray(value.replicates)) {
    perRun = value.replicates;
  } else {
    return null;
  }
  const lists = perRun.map((run) => (Array.isArray(run) ? run : run?.bands || []))
    .filter((list) => Array.isArray(list) && list.length);
  if (lists.length === 0) return null;
  const bands = lists[0].map((band, i) => {
    const out = { band: band.band ?? band.label ?? String(i) };
    for (const key of AGE_COLUMNS) {
      out[key] = lists.reduce((sum, list) => sum + (Number(list[i]?.[key]) || 0), 0) / lists.length;
    }
    return out;
  });
  return { bands, runs: lists.length };
}

function ageCells(row, header) {
  const ifr = row.infected > 0 ? row.dead / row.infected : null;
  return [
    header,
    ...AGE_COLUMNS.map((key) => el('td', { class: 'num' }, formatCount(row[key]),
      key === 'infected' && row.agents > 0 ? el('span', { class: 'sub' }, formatPercent(row.infected / row.agents)) : null)),
    el('td', { class: 'num' }, ifr === null ? '–' : formatPercent(ifr)),
  ];
}

function renderAges() {
  const data = ageBands(sim.age_totals);
  $('age-section').hidden = !data;
  if (!data) return;
  $('age-basis').textContent = data.runs > 1 ? `(mean of ${data.runs} runs)` : '';
  const table = $('age-table');
  table.tBodies[0].replaceChildren(...data.bands.map((row) => el('tr', { 'data-band': row.band },
    ...ageCells(row, el('th', { scope: 'row' }, row.band)))));
  const total = { band: 'All ages' };
  for (const key of AGE_COLUMNS) total[key] = data.bands.reduce((sum, row) => sum + row[key], 0);
  table.tFoot.replaceChildren(el('tr', {}, ...ageCells(total, el('th', { scope: 'row' }, 'All ages'))));
}

function renderData() {
  if (!sim) return;
  // A run that ended before its first day has nothing to chart.
  const nothing = observationCount() === 0 && !summary && FINAL_STATUSES.has(sim.status);
  for (const section of document.querySelectorAll('.figures, .chart-section, .downloads')) section.hidden = nothing;
  if (nothing) return;
  const length = lastDayHeld() + 1;
  epidemicChart.update(epidemicSpec(length));
  const host = $('epidemic-chart');
  host.dataset.points = String(observationCount());
  host.dataset.days = String(length);
  host.dataset.series = String(epidemicChart.spec.series.length);
  renderFigures();
  $('epidemic-bands').textContent = bandCaption('number of people in each state');
  renderHospital(length);
  renderRt(length);
  renderRoutes(length);
  renderTimeline();
  // Each chart's caption says what its shading means.
  const note = periodsNote();
  for (const name of ['epidemic', 'hospital', 'rt', 'routes']) {
    const caption = $(`${name}-summary`);
    if (note && !caption.textContent.endsWith(note)) caption.textContent += note;
  }
  host.dataset.periods = String(epidemicChart.spec.periods?.length ?? 0);
}

// "45 s", "2 min 5 s", "1 h 3 min".
function durationText(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (ms < 1000) return 'less than a second';
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

// The progress of the current attempt as this page saw it, for the time
// left: {at, fraction} when first seen, and the latest.
let progressSeen = null;

function noteProgress() {
  const fraction = sim.progress?.fraction;
  if (sim.status !== 'running' || !known(fraction)) return;
  const now = performance.now();
  if (!progressSeen || fraction < progressSeen.first.fraction) progressSeen = { first: { at: now, fraction }, last: { at: now, fraction } };
  else progressSeen.last = { at: now, fraction };
}

// Time left from the rate this page has seen, once it can tell.
function timeLeft() {
  if (!progressSeen) return null;
  const { first, last } = progressSeen;
  const done = last.fraction - first.fraction;
  const spent = performance.now() - first.at;
  if (done < 0.01 || spent < 2000 || last.fraction >= 1) return null;
  return ((1 - last.fraction) * spent) / done;
}

function since(value) {
  const t = Date.parse(value || '');
  return Number.isNaN(t) ? null : Date.now() - t;
}

function progressText() {
  const p = sim.progress || {};
  const days = p.days ?? sim.scenario?.days;
  const replicates = p.replicates ?? 1;
  const run = replicates > 1 && p.replicate ? `run ${p.replicate} of ${replicates}, ` : '';
  switch (sim.status) {
    case 'queued': {
      const position = sim.queue_position;
      if (!known(position)) return 'Queued: waiting for a worker to pick it up.';
      return position <= 1 ? 'Queued: next in line for a worker.' : `Queued: position ${formatCount(position)} in the queue.`;
    }
    case 'running':
      return p.day === null || p.day === undefined
        ? 'Starting…'
        : `Computing ${run}day ${p.day} of ${days}.`;
    case 'succeeded':
      return `Done: ${plural(days, 'day')}${replicates > 1 ? ` × ${plural(replicates, 'run')}` : ''}.`;
    case 'cancelled': {
      const complete = sim.figures?.complete ?? (FINAL_STATUSES.has(sim.status) && runs.size + (summary ? 1 : 0) > 0 ? aggregate().count : null);
      if (p.day === null || p.day === undefined) return 'Cancelled before it started.';
      if (replicates > 1 && known(complete)) return `Cancelled at ${run}day ${p.day}: ${formatCount(complete)} of ${plural(replicates, 'run')} complete.`;
      return `Cancelled at ${run}day ${p.day}; the days computed so far are shown.`;
    }
    case 'failed':
      return 'The run failed.';
    default:
      return '';
  }
}

// Elapsed time (ticking while live), time left, or how long the run took.
function timeText() {
  if (sim.status === 'queued') {
    const waited = since(sim.created_at);
    return waited === null ? '' : `Waiting for ${durationText(waited)}`;
  }
  if (sim.status === 'running') {
    const elapsed = since(sim.started_at);
    const parts = [];
    if (elapsed !== null) parts.push(`Elapsed ${durationText(elapsed)}`);
    const left = timeLeft();
    parts.push(left === null ? 'estimating the time left…' : `about ${durationText(left)} left`);
    return parts.join(' · ');
  }
  const start = Date.parse(sim.started_at || '');
  const end = Date.parse(sim.finished_at || '');
  if (Number.isNaN(start) || Number.isNaN(end)) return '';
  return `Ran for ${durationText(end - start)}`;
}

// "Restarted after its worker stopped: attempt 2 of 3".
function restartText() {
  const attempts = sim.attempts ?? 1;
  if (attempts <= 1) return '';
  const of = known(sim.max_attempts) ? ` of ${formatCount(sim.max_attempts)}` : '';
  if (sim.status === 'running' || sim.status === 'queued') return `Restarted after its worker stopped: attempt ${formatCount(attempts)}${of}. Progress is that of this attempt.`;
  return `Restarted after its worker stopped: ended in attempt ${formatCount(attempts)}${of}.`;
}

let clock = null;

function renderClock() {
  $('progress-time').textContent = timeText();
}

function renderStatus() {
  noteProgress();
  $('sim-status').replaceChildren(statusBadge(sim.status));
  const fraction = sim.status === 'succeeded' ? 1 : Math.max(0, Math.min(1, sim.progress?.fraction ?? 0));
  const percent = Math.round(fraction * 100);
  const bar = $('progress');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', `${percent}%: ${progressText()}`);
  bar.dataset.status = sim.status;
  bar.querySelector('.progress-bar').style.width = `${fraction * 100}%`;
  $('progress-text').textContent = `${percent}% · ${progressText()}`;
  renderClock();
  const live = sim.status === 'queued' || sim.status === 'running';
  if (live && !clock) clock = setInterval(renderClock, 1000);
  if (!live && clock) {
    clearInterval(clock);
    clock = null;
  }
  const restart = restartText();
  const note = $('restart-note');
  note.textContent = restart;
  note.hidden = !restart;
  note.dataset.attempts = String(sim.attempts ?? 1);

  const times = [`created ${formatTime(sim.created_at)}`];
  if (sim.started_at) times.push(`started ${formatTime(sim.started_at)}`);
  if (sim.finished_at) times.push(`finished ${formatTime(sim.finished_at)}`);
  $('sim-times').textContent = times.join(' · ');

  const cancel = $('cancel');
  cancel.hidden = !live;
  if (!live) {
    cancel.disabled = false;
    cancel.textContent = 'Cancel';
    const dialog = $('cancel-dialog');
    if (dialog.open) dialog.close();
  }

  const error = $('sim-error');
  if (sim.status === 'failed') {
    error.replaceChildren(el('strong', {}, 'The run failed: '), sim.error || 'no reason was recorded.');
    error.hidden = false;
  } else {
    error.hidden = true;
  }
}

function renderStatic() {
  // The stored name is the files' (as the server names them); a run without
  // a name of its own is shown by what its scenario changes.
  const name = sim.name || 'simulation';
  const shown = runName(sim, schema);
  document.title = `${shown} · outbreak`;
  $('sim-name').textContent = shown;
  $('sim-id').textContent = sim.id;
  const results = sim.links?.results || `${base}/results`;
  // The server's rule for file names: <name>-<id8>.csv / .json, with
  // characters other than letters, digits, ".", "-" and "_" as "_".
  const stem = `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${shortId(sim.id)}`;
  const partial = (sim.status === 'cancelled' || sim.status === 'failed') && sim.figures?.partial;
  const csv = $('download-csv');
  csv.href = `${results}?format=csv`;
  csv.setAttribute('download', `${stem}${partial ? '-partial' : ''}.csv`);
  const json = $('download-json');
  json.href = `${results}?format=json&download=1`;
  json.setAttribute('download', `${stem}.json`);
  const lineList = $('download-line-list');
  lineList.href = sim.links?.line_list || `${base}/line-list`;
  lineList.setAttribute('download', `${stem}-line-list.csv`);
  // The server makes line lists up to a size (population x runs).
  const limit = schema?.limits?.line_list_agents;
  const size = (sim.scenario?.population ?? 0) * (sim.scenario?.replicates ?? 1);
  const note = $('line-list-note');
  note.hidden = !(Number.isFinite(limit) && size > limit);
  note.textContent = note.hidden ? '' : (limit === 0
    ? 'This server does not make line lists.'
    : `This run is too large for a line list from this server (population × runs above ${formatCount(limit)}); the server's answer says how to make one with the command line.`);
  renderEditLink();
  renderCompare();
}

function renderEditLink() {
  $('edit-link').href = formHref(sim.scenario?.days);
}

function renderCompare() {
  const ids = comparedIds();
  const toggle = $('compare-toggle');
  toggle.checked = ids.includes(id);
  const link = $('compare-link');
  link.hidden = ids.length < 2;
  link.href = compareHref(ids);
  link.textContent = `Compare ${plural(ids.length, 'simulation')}`;
}

// An array with its labels ("0-9: 0.118, 10-19: 0.115, ..."), else as
// formatValue writes it.
function formatScenarioValue(value, parameter, all) {
  if (!Array.isArray(value) || !parameter?.labels) return formatValue(value, parameter, all);
  return value.map((v, i) => `${parameter.labels[i] ?? i}: ${formatValue(v, parameter)}`).join(', ');
}

function renderScenario() {
  const body = $('scenario-table').tBodies[0];
  const scenario = sim.scenario || {};
  const rows = [];
  const byName = new Map((schema?.parameters || []).map((p) => [p.name, p]));
  const order = schema ? GROUPS.map(([group, title]) => [title, schema.parameters.filter((p) => p.group === group).map((p) => p.name)])
    : [['', Object.keys(scenario)]];
  for (const [title, names] of order) {
    if (title) rows.push(el('tr', { class: 'group-row' }, el('th', { scope: 'rowgroup', colspan: 3 }, title)));
    for (const name of names) {
      if (!(name in scenario)) continue;
      const parameter = byName.get(name);
      const value = scenario[name];
      const changed = parameter && !sameValue(value, parameter.default);
      const all = schema?.parameters || [];
      rows.push(el('tr', { class: `${changed ? 'changed' : ''}${Array.isArray(value) ? ' array-row' : ''}`.trim() || null },
        el('th', { scope: 'row' }, labelOf(name), parameter?.unit ? el('span', { class: 'unit' }, ` (${parameter.unit})`) : null),
        el('td', {}, formatScenarioValue(value, parameter, all), changed ? el('span', { class: 'visually-hidden' }, ' (changed)') : null),
        el('td', { class: 'default' }, parameter ? formatScenarioValue(parameter.default, parameter, all) : '–')));
    }
  }
  body.replaceChildren(...rows);
}

// ---- live updates -------------------------------------------------------------

// The event stream sends each day once, usually before its R_t is known;
// the worker stores R_t later. While the run goes on, the stored days of
// the run being computed are read now and then for the R_t values that
// have become known since, and the document for its attempts.
const RT_REFRESH_MS = 5000;

function scheduleRtRefresh() {
  clearTimeout(rtTimer);
  rtTimer = setTimeout(refreshRt, RT_REFRESH_MS);
}

async function refreshRt() {
  rtTimer = null;
  // The document too: a job taken over by another worker (a new attempt)
  // may go on without a status event that says so.
  if (sim && !FINAL_STATUSES.has(sim.status) && events) await resync();
  if (!sim || FINAL_STATUSES.has(sim.status) || runs.size === 0) {
    if (sim && !FINAL_STATUSES.has(sim.status)) scheduleRtRefresh();
    return;
  }
  const replicate = Math.max(...runs.keys());
  const results = sim.links?.results || `${base}/results`;
  try {
    const doc = await api(`${results}?format=json${replicateCount() > 1 ? `&replicate=${replicate}` : ''}`);
    const days = doc?.replicates?.[0]?.days;
    if (Array.isArray(days) && !FINAL_STATUSES.has(sim.status)) {
      storeRt({ replicate, days });
      scheduleRender();
    }
  } catch {
    // the next look, or the final results, will do
  }
  if (!FINAL_STATUSES.has(sim.status)) scheduleRtRefresh();
}


function announce(text) {
  $('announcer').textContent = text;
}

// Status events come only when the status changes; between them, each day
// moves the progress on.
function advanceProgress(row) {
  if (sim.status !== 'running') return;
  const p = sim.progress || {};
  const days = (p.days ?? sim.scenario?.days ?? row.day) + 1;
  const replicates = p.replicates ?? replicateCount();
  const replicate = Number(row.replicate) || 1;
  const fraction = Math.min(1, ((replicate - 1) * days + row.day + 1) / (replicates * days));
  if (fraction > (p.fraction ?? 0)) sim.progress = { ...p, replicate, day: row.day, fraction };
}

// A job claimed again after its worker was lost starts over: the days of
// the earlier attempt are dropped (the server replaces them), and the
// stream is read again from the new attempt's first day.
function noteAttempts(attempts) {
  if (!known(attempts)) return false;
  const before = sim.attempts ?? 1;
  sim.attempts = attempts;
  if (attempts <= before) return false;
  runs.clear();
  summary = null;
  aggregateCache = null;
  dataVersion += 1;
  lastEventId = '';
  progressSeen = null;
  announce(`Restarted after its worker stopped: attempt ${attempts}${known(sim.max_attempts) ? ` of ${sim.max_attempts}` : ''}.`);
  return true;
}

// "Connection lost; reconnecting…" while the event stream is down, even
// while the browser retries by itself.
function showConnection(lost) {
  const banner = $('connection');
  banner.hidden = !lost;
  document.body.dataset.connection = lost ? 'lost' : 'ok';
}

// After a lost connection or a status event that leaves things out: the
// document says the attempt, the queue position and the figures.
async function resync() {
  try {
    const doc = await api(base);
    const restarted = noteAttempts(doc.attempts);
    sim = { ...sim, ...doc, progress: restarted ? doc.progress : (sim.progress?.fraction > (doc.progress?.fraction ?? 0) && sim.status === doc.status ? sim.progress : doc.progress) };
    renderStatus();
    if (restarted && events) {
      events.close();
      events = null;
      openStream();
    }
    scheduleRender();
  } catch {
    // the stream will tell
  }
}

function openStream() {
  const query = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : '';
  const source = new EventSource(`${sim.links?.events || `${base}/events`}${query}`);
  events = source;
  let lost = false;
  source.addEventListener('day', (event) => {
    if (events !== source) return;
    if (event.lastEventId) lastEventId = event.lastEventId;
    const row = JSON.parse(event.data);
    storeDay(row);
    advanceProgress(row);
    scheduleRender();
  });
  // Later knowledge of R_t for days already shown, if the server sends it
  // apart from the days.
  source.addEventListener('r_t', (event) => {
    if (events !== source) return;
    if (event.lastEventId) lastEventId = event.lastEventId;
    const update = JSON.parse(event.data);
    for (const item of Array.isArray(update) ? update : [update]) storeRt(item);
    scheduleRender();
  });
  source.addEventListener('status', (event) => {
    if (events !== source) return;
    const update = JSON.parse(event.data);
    const changed = update.status !== sim.status;
    const restarted = noteAttempts(update.attempts);
    sim = {
      ...sim,
      status: update.status,
      progress: update.progress ?? sim.progress,
      error: update.error ?? null,
      ...(update.max_attempts !== undefined ? { max_attempts: update.max_attempts } : {}),
      ...(update.queue_position !== undefined ? { queue_position: update.queue_position } : {}),
      ...(update.figures !== undefined ? { figures: update.figures } : {}),
    };
    renderStatus();
    if (changed) announce(`Status: ${STATUS_LABELS[sim.status] || sim.status}.`);
    if (FINAL_STATUSES.has(sim.status)) {
      // The server ends the stream now; closing first stops the browser from
      // reconnecting.
      source.close();
      events = null;
      showConnection(false);
      finish();
      return;
    }
    if (restarted) {
      // Read the new attempt from its first day.
      source.close();
      events = null;
      openStream();
    } else if (update.attempts === undefined) {
      resync();
    }
    scheduleRender();
  });
  source.addEventListener('open', () => {
    if (events !== source) return;
    showConnection(false);
    if (lost) {
      lost = false;
      resync();
    }
  });
  source.addEventListener('error', () => {
    if (events !== source) return;
    lost = true;
    showConnection(true);
    if (source.readyState !== EventSource.CLOSED) return;
    // The browser gave up (e.g. an HTTP error): look again in a moment.
    events = null;
    setTimeout(resume, 3000);
  });
}

async function resume() {
  try {
    const doc = await api(base);
    noteAttempts(doc.attempts);
    sim = { ...sim, ...doc };
  } catch {
    setTimeout(resume, 5000);
    return;
  }
  showConnection(false);
  renderStatus();
  if (FINAL_STATUSES.has(sim.status)) finish();
  else openStream();
}

// A final status: fetch the finished document (times, error, figures) and
// the stored results: with several runs only their summary (a finished
// page never replays every run's days), or, when there is no summary
// (fewer than two complete runs), the days themselves.
async function finish(preload = null) {
  clearTimeout(rtTimer);
  rtTimer = null;
  if (!preload) {
    try {
      const doc = await api(base);
      sim = doc;
      renderStatus();
      renderStatic();
    } catch {
      // keep what the stream said
    }
  }
  try {
    const doc = await (preload || loadResults());
    performance.mark('results-loaded');
    storeResults(doc);
  } catch (error) {
    if (observationCount() === 0) showBanner($('banner'), `The results could not be loaded: ${error.message}`);
  }
  renderData();
  renderAges();
  performance.mark('results-drawn');
  document.body.dataset.state = sim.status;
}

// The results of a finished job, as finish() shows them.
async function loadResults() {
  const results = sim.links?.results || `${base}/results`;
  const many = replicateCount() > 1;
  const doc = await api(`${results}?format=json${many ? '&part=summary' : ''}`);
  if (many && !doc.summary && !(doc.replicates || []).some((r) => (r.days || []).length)) {
    return api(`${results}?format=json`);
  }
  return doc;
}

// ---- the line list ----------------------------------------------------------------

// The server may refuse the line list (still running: 409, too large: 413,
// ...) with a JSON error, which a plain link would show as a bare page; so
// the file is fetched here and handed to the browser as a download.
async function downloadLineList(event) {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const link = event.currentTarget;
  const message = $('line-list-error');
  message.hidden = true;
  message.textContent = '';
  link.setAttribute('aria-busy', 'true');
  const status = $('line-list-status');
  status.textContent = 'Preparing the line list: the server runs the simulation again, which takes about as long as the first run…';
  status.hidden = false;
  try {
    let response;
    try {
      response = await fetch(link.href, { headers: { Accept: 'text/csv, application/json;q=0.5' } });
    } catch {
      throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
    }
    if (!response.ok) {
      let text = `The server answered ${response.status} ${response.statusText}.`;
      try {
        const body = await response.json();
        if (body?.error?.message) text = body.error.message;
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(response.status, text);
    }
    const blob = await response.blob();
    const disposition = response.headers.get('Content-Disposition') || '';
    const named = disposition.match(/filename="?([^";]+)"?/);
    const url = URL.createObjectURL(blob);
    const save = el('a', { href: url, download: named ? named[1] : link.getAttribute('download') || 'line-list.csv', hidden: true });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (error) {
    message.textContent = `The line list could not be downloaded: ${error.message}`;
    message.hidden = false;
  } finally {
    link.removeAttribute('aria-busy');
    status.hidden = true;
    status.textContent = '';
  }
}

// ---- start ----------------------------------------------------------------------

function showNotFound() {
  document.title = 'Simulation not found · outbreak';
  $('missing-id').textContent = id || '(none)';
  $('not-found').hidden = false;
}

async function start() {
  const schemaLoad = loadSchema().then((value) => { schema = value; }, () => { schema = null; });
  try {
    sim = await api(base);
    performance.mark('document-loaded');
  } catch (error) {
    $('loading').hidden = true;
    if (error.status === 404) showNotFound();
    else {
      showBanner($('banner'), [`The simulation could not be loaded: ${error.message} `,
        el('a', { href: window.location.href }, 'Try again')]);
    }
    return;
  }
  // A finished job's results are read at once, while the rest loads.
  const preload = FINAL_STATUSES.has(sim.status) ? loadResults() : null;
  preload?.catch(() => {});
  await schemaLoad;
  $('loading').hidden = true;
  $('simulation').hidden = false;
  epidemicChart = new LineChart($('epidemic-chart'), { label: 'Chart of people currently infected, symptomatic, isolated and dead, and total infected, per day' });
  hospitalChart = new LineChart($('hospital-chart'), { label: 'Chart of agents in hospital and in critical care per day' });
  rtChart = new LineChart($('rt-chart'), {
    label: 'Chart of the reproduction number R_t per day of infection, with a line at 1', yLabel: 'R_t', format: formatRatio,
  });
  routesChart = new LineChart($('routes-chart'), { label: 'Chart of new infections per day at home, at work, at school and in the community', yLabel: 'New infections' });
  renderStatic();
  renderStatus();
  renderScenario();

  $('log-scale').addEventListener('change', () => renderData());
  const capacityInput = $('capacity');
  const wanted = new URLSearchParams(window.location.search).get('capacity');
  if (wanted !== null) capacityInput.value = wanted;
  capacityInput.addEventListener('input', () => {
    const query = new URLSearchParams(window.location.search);
    const beds = capacity();
    if (beds === null) query.delete('capacity');
    else query.set('capacity', String(beds));
    const text = query.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${text ? `?${text}` : ''}`);
    if (observationCount() > 0 || summary) renderData();
  });
  $('download-line-list').addEventListener('click', downloadLineList);
  $('compare-toggle').addEventListener('change', (event) => {
    if (event.target.checked && !savedSimulations().some((entry) => entry.id === id)) {
      rememberSimulation({ id, name: runName(sim, schema), created_at: sim.created_at });
    }
    setCompared(id, event.target.checked);
    renderCompare();
  });
  window.addEventListener('storage', renderCompare);
  // Cancel asks first, in the page (a modal dialog: the focus stays in it,
  // Escape keeps the run going).
  const dialog = $('cancel-dialog');
  $('cancel').addEventListener('click', () => {
    $('cancel-dialog-text').textContent = cancelQuestion();
    dialog.showModal();
    $('cancel-keep').focus();
  });
  $('cancel-keep').addEventListener('click', () => dialog.close());
  $('cancel-confirm').addEventListener('click', async () => {
    dialog.close();
    const button = $('cancel');
    button.disabled = true;
    button.textContent = 'Cancelling…';
    try {
      const update = await postJson(sim.links?.self ? `${sim.links.self}/cancel` : `${base}/cancel`, {});
      sim = { ...sim, ...update };
      renderStatus();
      if (FINAL_STATUSES.has(sim.status) && !events) finish();
    } catch (error) {
      button.disabled = false;
      button.textContent = 'Cancel';
      showBanner($('banner'), `The simulation could not be cancelled: ${error.message}`);
    }
  });
  dialog.addEventListener('close', () => {
    const button = $('cancel');
    if (!button.hidden && !button.disabled) button.focus();
  });

  if (preload) {
    await finish(preload);
  } else {
    renderData();
    openStream();
    scheduleRtRefresh();
  }
  // Navigation start to charts drawn: uPlot draws into its canvases in a
  // microtask after the update, so by the next animation frame they are.
  await new Promise((resolve) => requestAnimationFrame(resolve));
  document.body.dataset.renderedMs = String(Math.round(performance.now()));
}

// What cancelling would keep and lose, in the dialog.
function cancelQuestion() {
  const replicates = replicateCount();
  const done = completeRuns().length;
  if (sim.status === 'queued') return 'It has not started yet; nothing will be computed.';
  if (replicates > 1) {
    return `${plural(done, 'run')} of ${formatCount(replicates)} ${done === 1 ? 'is' : 'are'} complete and will be kept, `
      + 'with key figures over them (marked partial); the run being computed stops and the rest never start.';
  }
  return 'The run stops at its next day; the days computed so far are kept.';
}

start();
