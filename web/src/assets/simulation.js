// The results page of one simulation: status and progress, live charts fed
// by the event stream while the run goes on, key figures, the scenario,
// downloads, cancel, and "edit and run again".

import {
  FINAL_STATUSES, GROUPS, STATUS_LABELS, api, el, formatCount, formatPercent, formatTime, formatValue,
  labelOf, loadSchema, postJson, scenarioQuery, shortId, showBanner, statusBadge,
} from './app.js';
import { LineChart, dayAxis, withAlpha } from './chart.js';
import { compareHref, comparedIds, rememberSimulation, savedSimulations, setCompared } from './saved.js';

const METRICS = [
  { key: 'currently_infected', label: 'Currently infected', color: '#d55e00' },
  { key: 'symptomatic', label: 'Symptomatic', color: '#e69f00' },
  { key: 'isolated', label: 'Isolated by tracing', color: '#0072b2' },
  { key: 'dead', label: 'Dead', color: '#000000' },
  { key: 'total_infected', label: 'Total infected', color: '#cc79a7' },
];
const ROUTES = [
  { key: 'infections_home', label: 'Home', color: '#009e73' },
  { key: 'infections_work', label: 'Work', color: '#56b4e9' },
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
let lastEventId = '';
let renderPending = false;
let epidemicChart = null;
let routesChart = null;

// ---- data -------------------------------------------------------------------

function storeDay(row) {
  const replicate = Number(row.replicate) || 1;
  if (!runs.has(replicate)) runs.set(replicate, []);
  runs.get(replicate)[row.day] = row;
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

function epidemicSpec(length) {
  const series = [];
  const data = [dayAxis(length)];
  const bands = [];
  const replicates = replicateCount();
  if (summary) {
    for (const metric of METRICS) {
      series.push({ label: metric.label, color: metric.color, width: 2 });
      data.push(column(summary.mean, metric.key, length));
      series.push({ label: `${metric.label}, 95th percentile`, color: metric.color, alpha: 0.25, width: 1, legend: false });
      data.push(column(summary.p95, metric.key, length));
      series.push({ label: `${metric.label}, 5th percentile`, color: metric.color, alpha: 0.25, width: 1, legend: false });
      data.push(column(summary.p5, metric.key, length));
      bands.push({ upper: series.length - 1, lower: series.length, color: withAlpha(metric.color, 0.15) });
    }
  } else if (replicates > 1) {
    const current = Math.max(1, ...runs.keys());
    for (const metric of METRICS) {
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
    for (const metric of METRICS) {
      series.push({ label: metric.label, color: metric.color, width: 2 });
      data.push(column(rows, metric.key, length));
    }
  }
  return { series, data, bands, xMax: sim.scenario?.days, log: $('log-scale').checked };
}

function peakOf(rows, key) {
  let peak = null;
  rows.forEach((row, day) => {
    if (row && (peak === null || row[key] > peak.value)) peak = { value: row[key], day };
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
  const totals = ROUTES.map((route) => rows.reduce((sum, row) => sum + (row ? row[route.key] : 0), 0));
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
  });
  $('routes-summary').textContent = all > 0
    ? `New infections per day by place. Over the days shown, ${ROUTES.map((route, i) => `${formatPercent(totals[i] / all)} at ${route.label.toLowerCase()}`).join(', ')} (initial cases excluded).`
    : 'New infections per day by place; none yet.';
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
  renderRoutes(length);
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
  renderEditLink();
  renderCompare();
}

function renderEditLink() {
  const parameters = schema?.parameters
    || Object.keys(sim.scenario || {}).map((name) => ({ name, default: undefined }));
  const query = scenarioQuery(sim.scenario || {}, parameters, { name: sim.name === 'simulation' ? '' : sim.name });
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
      const changed = parameter && value !== parameter.default;
      rows.push(el('tr', { class: changed ? 'changed' : null },
        el('th', { scope: 'row' }, labelOf(name), parameter?.unit ? el('span', { class: 'unit' }, ` (${parameter.unit})`) : null),
        el('td', {}, formatValue(value, parameter), changed ? el('span', { class: 'visually-hidden' }, ' (changed)') : null),
        el('td', { class: 'default' }, parameter ? formatValue(parameter.default, parameter) : '–')));
    }
  }
  body.replaceChildren(...rows);
}

// ---- live updates -------------------------------------------------------------

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
  document.body.dataset.state = sim.status;
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
  routesChart = new LineChart($('routes-chart'), { label: 'Chart of new infections per day at home, at work and in the community', yLabel: 'New infections' });
  renderStatic();
  renderStatus();
  renderScenario();

  $('log-scale').addEventListener('change', () => renderData());
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
  }
}

start();
