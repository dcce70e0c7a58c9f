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

const METRICS = [
  { key: 'currently_infected', label: 'Currently infected', color: '#d55e00' },
  { key: 'symptomatic', label: 'Symptomatic', color: '#e69f00' },
  { key: 'isolated', label: 'Isolated by tracing', color: '#0072b2' },
  { key: 'dead', label: 'Dead', color: '#000000' },
  { key: 'total_infected', label: 'Total infected', color: '#cc79a7' },
];
const HOSPITAL = [
  { key: 'hospitalized', label: 'In hospital', color: '#0072b2' },
  { key: 'critical', label: 'In critical care', color: '#d55e00' },
];
const RT = [{ key: 'r_t', label: 'R_t', color: '#009e73' }];
const CAPACITY_COLOR = '#a61b1b';
const ROUTES = [
  { key: 'infections_home', label: 'Home', color: '#009e73' },
  { key: 'infections_work', label: 'Work', color: '#56b4e9' },
  { key: 'infections_school', label: 'School', color: '#cc79a7' },
  { key: 'infections_community', label: 'Community', color: '#e69f00' },
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
  runs.clear();
  for (const replicate of results.replicates || []) {
    for (const row of replicate.days || []) storeDay({ ...row, replicate: replicate.replicate });
  }
  summary = results.summary || null;
}

function replicateCount() {
  return sim?.progress?.replicates ?? sim?.scenario?.replicates ?? 1;
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

// The rows the key figures and the route chart are about: the mean once
// the summary exists, else the first run (the only one, or the first of
// several, which is complete before the second starts).
function basis() {
  if (summary) return { rows: summary.mean, note: `mean of ${replicateCount()} runs` };
  const rows = runs.get(1) || [];
  if (replicateCount() > 1) return { rows, note: sim.status === 'succeeded' ? 'run 1' : 'run 1 so far' };
  return { rows, note: FINAL_STATUSES.has(sim.status) ? '' : 'so far' };
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

// The series of `metrics` over `length` days: the mean with a 5-95% band
// once the summary of several runs exists, each run (the latest bold)
// while several compute, or the one run.
function linesSpec(metrics, length) {
  const series = [];
  const data = [dayAxis(length)];
  const bands = [];
  const replicates = replicateCount();
  if (summary) {
    for (const metric of metrics) {
      series.push({ label: metric.label, color: metric.color, width: 2 });
      data.push(column(summary.mean, metric.key, length));
      series.push({ label: `${metric.label}, 95th percentile`, color: metric.color, alpha: 0.25, width: 1, legend: false });
      data.push(column(summary.p95 || [], metric.key, length));
      series.push({ label: `${metric.label}, 5th percentile`, color: metric.color, alpha: 0.25, width: 1, legend: false });
      data.push(column(summary.p5 || [], metric.key, length));
      bands.push({ upper: series.length - 1, lower: series.length, color: withAlpha(metric.color, 0.15) });
    }
  } else if (replicates > 1) {
    const current = Math.max(1, ...runs.keys());
    for (const metric of metrics) {
      for (const [replicate, rows] of [...runs.entries()].sort((a, b) => a[0] - b[0])) {
        const latest = replicate === current;
        series.push({
          label: `${metric.label}, run ${replicate}`,
          legendLabel: `${metric.label} (run ${replicate})`,
          color: metric.color,
          alpha: latest ? 1 : 0.3,
          width: latest ? 1.5 : 1,
          legend: latest,
        });
        data.push(column(rows, metric.key, length));
      }
    }
  } else {
    const rows = runs.get(1) || [];
    for (const metric of metrics) {
      series.push({ label: metric.label, color: metric.color, width: 2 });
      data.push(column(rows, metric.key, length));
    }
  }
  return { series, data, bands };
}

// ---- the policy timeline ------------------------------------------------------

// The items the run ran (ids = places in this list) and the days on which
// each was on in any run so far: {items, ranges: Map id -> [[a, b]], reported}.
function timelineState() {
  const items = effectiveTimeline(sim);
  const rowLists = [...runs.values()];
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
  return { ...linesSpec(METRICS, length), xMax: sim.scenario?.days, log: $('log-scale').checked, periods: periodsSpec() };
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

function figure(term, value, detail) {
  return el('div', { class: 'figure' }, el('dt', {}, term), el('dd', {}, value, detail ? el('span', { class: 'sub' }, detail) : null));
}

function renderFigures() {
  const { rows, note } = basis();
  $('figures-basis').textContent = note ? `(${note})` : '';
  const population = sim.scenario?.population;
  const last = lastRow(rows);
  if (!last) {
    $('figures').replaceChildren(el('p', { class: 'empty' }, 'No days computed yet.'));
    $('epidemic-summary').textContent = 'No days yet: the chart fills in as the run computes them.';
    return;
  }
  const peak = peakOf(rows, 'currently_infected');
  const attack = population ? last.total_infected / population : null;
  const items = [
    figure('Peak currently infected', formatCount(peak.value), `on day ${peak.day}`),
    figure('Attack rate', attack === null ? '–' : formatPercent(attack), `${formatCount(last.total_infected)} infected by day ${last.day}`),
    figure('Deaths', formatCount(last.dead), population ? `${formatPercent(last.dead / population)} of the population` : null),
  ];
  const hospital = peakOf(rows, 'hospitalized');
  if (hospital && known(hospital.value)) {
    items.push(figure('Peak in hospital', formatCount(hospital.value), `on day ${hospital.day}`));
  }
  if (sim.scenario?.contact_tracing) {
    const isolated = peakOf(rows, 'isolated');
    items.push(figure('Peak isolated by tracing', formatCount(isolated.value), `on day ${isolated.day}`));
  }
  $('figures').replaceChildren(...items);
  $('epidemic-summary').textContent =
    `${note ? `${note.charAt(0).toUpperCase()}${note.slice(1)}: c` : 'C'}urrently infected peaked at ${formatCount(peak.value)} on day ${peak.day}; ` +
    `by day ${last.day}, ${attack === null ? formatCount(last.total_infected) : formatPercent(attack)} of the population had been infected and ` +
    `${formatCount(last.dead)} had died.`;
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
  routesChart.update({
    series: ROUTES.map((route) => ({ label: route.label, color: route.color, width: 1.5 })),
    data: [dayAxis(length), ...ROUTES.map((route) => column(rows, route.key, length))],
    xMax: sim.scenario?.days,
    log: false,
    periods: periodsSpec(),
  });
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
    lines: beds === null ? [] : [{ value: beds, label: `Capacity (${formatCount(beds)} beds)`, color: CAPACITY_COLOR }],
    periods: periodsSpec(),
  };
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
      ? ` Above the capacity of ${formatCount(beds)} beds on ${formatCount(over.length)} day${over.length === 1 ? '' : 's'}, first on day ${over[0].day}.`
      : ` Never above the capacity of ${formatCount(beds)} beds.`;
  }
  $('hospital-summary').textContent = text;
}

function renderRt(length) {
  const { rows } = basis();
  const spec = {
    ...linesSpec(RT, length), xMax: sim.scenario?.days, log: false, lines: [{ value: 1, label: 'R = 1', color: '#59636b' }], periods: periodsSpec(),
  };
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
  $('rt-summary').textContent = `R_t per day of infection, known for ${formatCount(days.length)} days up to day ${last.day}: `
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

function progressText() {
  const p = sim.progress || {};
  const days = p.days ?? sim.scenario?.days;
  const replicates = p.replicates ?? 1;
  const run = replicates > 1 && p.replicate ? `run ${p.replicate} of ${replicates}, ` : '';
  switch (sim.status) {
    case 'queued':
      return 'Waiting for a worker to pick it up.';
    case 'running':
      return p.day === null || p.day === undefined
        ? `Starting${sim.attempts > 1 ? ` (attempt ${sim.attempts})` : ''}…`
        : `Computing ${run}day ${p.day} of ${days}.`;
    case 'succeeded':
      return `Done: ${formatCount(days)} days${replicates > 1 ? ` × ${replicates} runs` : ''}.`;
    case 'cancelled':
      return p.day === null || p.day === undefined ? 'Cancelled before it started.' : `Cancelled at ${run}day ${p.day}; the days computed so far are shown.`;
    case 'failed':
      return 'The run failed.';
    default:
      return '';
  }
}

function renderStatus() {
  $('sim-status').replaceChildren(statusBadge(sim.status));
  const fraction = sim.status === 'succeeded' ? 1 : Math.max(0, Math.min(1, sim.progress?.fraction ?? 0));
  const percent = Math.round(fraction * 100);
  const bar = $('progress');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', `${percent}%: ${progressText()}`);
  bar.dataset.status = sim.status;
  bar.querySelector('.progress-bar').style.width = `${fraction * 100}%`;
  $('progress-text').textContent = `${percent}% · ${progressText()}`;

  const times = [`created ${formatTime(sim.created_at)}`];
  if (sim.started_at) times.push(`started ${formatTime(sim.started_at)}`);
  if (sim.finished_at) times.push(`finished ${formatTime(sim.finished_at)}`);
  $('sim-times').textContent = times.join(' · ');

  const cancel = $('cancel');
  const live = sim.status === 'queued' || sim.status === 'running';
  cancel.hidden = !live;
  if (!live) {
    cancel.disabled = false;
    cancel.textContent = 'Cancel';
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
  const name = sim.name || 'simulation';
  document.title = `${name} · outbreak`;
  $('sim-name').textContent = name;
  $('sim-id').textContent = sim.id;
  const results = sim.links?.results || `${base}/results`;
  $('download-csv').href = `${results}?format=csv`;
  const json = $('download-json');
  json.href = `${results}?format=json`;
  json.setAttribute('download', `${name}-${shortId(sim.id)}.json`);
  const lineList = $('download-line-list');
  lineList.href = sim.links?.line_list || `${base}/line-list`;
  lineList.setAttribute('download', `${name}-${shortId(sim.id)}-line-list.csv`);
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
  const parameters = schema?.parameters
    || Object.keys(sim.scenario || {}).map((name) => ({ name, default: undefined }));
  const scenario = { ...(sim.scenario || {}) };
  // The timeline with only the values that differ from the defaults, to
  // keep the address short.
  if (schema?.interventions && Array.isArray(scenario.interventions)) {
    const types = typesOf(schema.interventions);
    scenario.interventions = scenario.interventions.map((item) => compactItem(item, types));
  }
  const query = scenarioQuery(scenario, parameters, { name: sim.name === 'simulation' ? '' : sim.name });
  $('edit-link').href = `/${query ? `?${query}` : ''}`;
}

function renderCompare() {
  const ids = comparedIds();
  const toggle = $('compare-toggle');
  toggle.checked = ids.includes(id);
  const link = $('compare-link');
  link.hidden = ids.length < 2;
  link.href = compareHref(ids);
  link.textContent = `Compare ${ids.length} simulations`;
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
// have become known since.
const RT_REFRESH_MS = 5000;

function scheduleRtRefresh() {
  clearTimeout(rtTimer);
  rtTimer = setTimeout(refreshRt, RT_REFRESH_MS);
}

async function refreshRt() {
  rtTimer = null;
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

function openStream() {
  const query = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : '';
  const source = new EventSource(`${sim.links?.events || `${base}/events`}${query}`);
  events = source;
  source.addEventListener('day', (event) => {
    if (event.lastEventId) lastEventId = event.lastEventId;
    const row = JSON.parse(event.data);
    storeDay(row);
    advanceProgress(row);
    scheduleRender();
  });
  // Later knowledge of R_t for days already shown, if the server sends it
  // apart from the days.
  source.addEventListener('r_t', (event) => {
    if (event.lastEventId) lastEventId = event.lastEventId;
    const update = JSON.parse(event.data);
    for (const item of Array.isArray(update) ? update : [update]) storeRt(item);
    scheduleRender();
  });
  source.addEventListener('status', (event) => {
    const update = JSON.parse(event.data);
    const changed = update.status !== sim.status;
    sim = { ...sim, status: update.status, progress: update.progress ?? sim.progress, error: update.error ?? null };
    renderStatus();
    if (changed) announce(`Status: ${STATUS_LABELS[sim.status] || sim.status}.`);
    if (FINAL_STATUSES.has(sim.status)) {
      // The server ends the stream now; closing first stops the browser from
      // reconnecting.
      source.close();
      events = null;
      finish();
    }
  });
  source.addEventListener('open', () => showBanner($('banner'), null));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED || events !== source) return;
    // The browser gave up (e.g. an HTTP error): look again in a moment.
    events = null;
    showBanner($('banner'), 'Lost the connection to the server; trying again…', 'warning');
    setTimeout(resume, 3000);
  });
}

async function resume() {
  try {
    sim = await api(base);
  } catch {
    setTimeout(resume, 5000);
    return;
  }
  showBanner($('banner'), null);
  renderStatus();
  if (FINAL_STATUSES.has(sim.status)) finish();
  else openStream();
}

// A final status: fetch the finished document (times, error) and the stored
// results, which hold the summary of several runs.
async function finish() {
  clearTimeout(rtTimer);
  rtTimer = null;
  try {
    sim = await api(base);
    renderStatus();
    renderStatic();
  } catch {
    // keep what the stream said
  }
  try {
    storeResults(await api(`${sim.links?.results || `${base}/results`}?format=json`));
  } catch (error) {
    if (observationCount() === 0) showBanner($('banner'), `The results could not be loaded: ${error.message}`);
  }
  renderData();
  renderAges();
  document.body.dataset.state = sim.status;
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
  } catch (error) {
    $('loading').hidden = true;
    if (error.status === 404) showNotFound();
    else {
      showBanner($('banner'), [`The simulation could not be loaded: ${error.message} `,
        el('a', { href: window.location.href }, 'Try again')]);
    }
    return;
  }
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
      rememberSimulation({ id, name: sim.name, created_at: sim.created_at });
    }
    setCompared(id, event.target.checked);
    renderCompare();
  });
  window.addEventListener('storage', renderCompare);
  $('cancel').addEventListener('click', async () => {
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

  if (FINAL_STATUSES.has(sim.status)) {
    await finish();
  } else {
    renderData();
    openStream();
    scheduleRtRefresh();
  }
}

start();
