// /compare?ids=a,b,...[&metric=...]: one metric of several simulations on
// one chart, and the parameters that differ between them.

import {
  FINAL_STATUSES, api, el, formatCount, formatRatio, formatValue, labelOf, loadSchema, shortId, showBanner, statusBadge,
} from './app.js';
import { LineChart, PALETTE, dayAxis } from './chart.js';
import { compareHref } from './saved.js';
import {
  activeRanges, effectiveTimeline, itemColor, itemLabel, onText, reportsActivity, scheduleText, timelineStrip, typesOf,
} from './timeline.js';

const METRICS = [
  ['currently_infected', 'Currently infected'],
  ['total_infected', 'Total infected'],
  ['dead', 'Dead'],
  ['isolated', 'Isolated by tracing'],
  ['hospitalized', 'In hospital'],
  ['critical', 'In critical care'],
  ['new_hospitalizations', 'New hospital admissions'],
  ['new_deaths', 'New deaths'],
  ['r_t', 'Reproduction number R_t'],
  ['symptomatic', 'Symptomatic'],
  ['infectious', 'Infectious'],
  ['exposed', 'Exposed'],
  ['recovered', 'Recovered'],
  ['susceptible', 'Susceptible'],
  ['new_infections', 'New infections'],
  ['infections_home', 'New infections at home'],
  ['infections_work', 'New infections at work'],
  ['infections_school', 'New infections at school'],
  ['infections_community', 'New infections in the community'],
  ['new_symptomatic', 'New symptomatic'],
  ['tests', 'Tests'],
  ['positive_tests', 'Positive tests'],
  ['isolating', 'Cases isolating'],
  ['quarantined', 'Contacts in quarantine'],
  ['traced_contacts', 'Traced contacts'],
  ['vaccinated', 'Vaccinated (cumulative)'],
];

// Counts that only grow: their last value says more than their peak.
const CUMULATIVE = new Set(['total_infected', 'dead', 'recovered', 'vaccinated']);
// Ratios, not counts: written with two decimals.
const RATIOS = new Set(['r_t']);

const known = (value) => value !== null && value !== undefined && !Number.isNaN(value);

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(window.location.search);
const ids = [...new Set((query.get('ids') || '').split(',').map((s) => s.trim()).filter(Boolean))];
const metricSelect = $('metric');

let schema = null;
let entries = [];  // [{id, sim, rows, color, label}] in the order of `ids`
let chart = null;
let pollTimer = null;

async function load(id) {
  const path = `/api/v1/simulations/${encodeURIComponent(id)}`;
  try {
    const sim = await api(path);
    const results = await api(`${path}/results?format=json`);
    const rows = results.summary?.mean || results.replicates?.[0]?.days || [];
    const rowLists = (results.replicates || []).map((replicate) => replicate.days || []);
    return { id, sim, rows, rowLists, averaged: Boolean(results.summary) };
  } catch (error) {
    return { id, error };
  }
}

function labelEntries(list) {
  const counts = new Map();
  for (const entry of list) counts.set(entry.sim.name, (counts.get(entry.sim.name) || 0) + 1);
  list.forEach((entry, i) => {
    entry.color = PALETTE[i % PALETTE.length];
    entry.label = counts.get(entry.sim.name) > 1 ? `${entry.sim.name} (${shortId(entry.id)})` : entry.sim.name;
  });
}

function metricLabel(key) {
  return (METRICS.find(([k]) => k === key) || [key, labelOf(key)])[1];
}

function renderChart() {
  const metric = metricSelect.value;
  const length = Math.max(1, ...entries.map((entry) => entry.rows.length));
  const xMax = Math.max(...entries.map((entry) => entry.sim.scenario?.days ?? 0));
  const data = [dayAxis(length)];
  for (const entry of entries) {
    const values = new Array(length).fill(null);
    entry.rows.forEach((row, day) => {
      if (row) values[row.day ?? day] = row[metric];
    });
    data.push(values);
  }
  const ratio = RATIOS.has(metric);
  const format = ratio ? formatRatio : formatCount;
  const series = entries.map((entry) => ({ label: entry.label, color: entry.color, width: 2 }));
  // R_t gets a dashed reference line at 1: above it, the epidemic grows.
  const lines = ratio ? [{ value: 1, label: 'R = 1', color: '#59636b' }] : [];
  chart.format = format;
  chart.yLabel = ratio ? 'R_t' : 'People';
  chart.update({ series, data, xMax, log: $('log-scale').checked, lines });
  $('compare-chart').dataset.series = String(entries.length);
  $('compare-chart').dataset.metric = metric;
  const parts = entries.map((entry) => {
    let peak = null;
    let last = null;
    for (const row of entry.rows) {
      if (!row || !known(row[metric])) continue;
      if (peak === null || row[metric] > peak[metric]) peak = row;
      last = row;
    }
    if (!peak) return `${entry.label}: ${entry.rows.length ? 'not known yet' : 'no days yet'}`;
    if (CUMULATIVE.has(metric)) return `${entry.label}: ${format(last[metric])} by day ${last.day}`;
    if (ratio) return `${entry.label}: highest ${format(peak[metric])} on day ${peak.day}, ${format(last[metric])} on day ${last.day}, the last day known`;
    return `${entry.label}: highest ${format(peak[metric])} on day ${peak.day}`;
  });
  $('compare-summary').textContent = `${metricLabel(metric)} per day${entries.some((e) => e.averaged) ? ' (mean over runs where a simulation has several)' : ''}. ${parts.join('; ')}.`;
  const running = entries.filter((entry) => !FINAL_STATUSES.has(entry.sim.status));
  $('running-note').hidden = running.length === 0;
  $('running-note').textContent = running.length
    ? `Still running: ${running.map((entry) => entry.label).join(', ')}. The chart shows the days computed so far and refreshes by itself.`
    : '';
}

function renderDifferences() {
  const parameters = schema?.parameters
    || [...new Set(entries.flatMap((entry) => Object.keys(entry.sim.scenario || {})))].map((name) => ({ name }));
  const differing = parameters.filter((parameter) => {
    const values = entries.map((entry) => JSON.stringify(entry.sim.scenario?.[parameter.name] ?? null));
    return new Set(values).size > 1;
  });
  const host = $('differences');
  if (entries.length < 2) {
    host.replaceChildren(el('p', { class: 'empty' }, 'Add a second simulation to see what differs.'));
    return;
  }
  if (differing.length === 0) {
    host.replaceChildren(el('p', { class: 'empty' }, 'None: every parameter is the same (the runs differ only by chance if at all).'));
    return;
  }
  host.replaceChildren(el('div', { class: 'table-scroll' }, el('table', { class: 'differences' },
    el('caption', { class: 'visually-hidden' }, 'Parameters that differ between the simulations'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Parameter'),
      entries.map((entry) => el('th', { scope: 'col' },
        el('span', { class: 'legend-swatch', style: `background:${entry.color}`, 'aria-hidden': 'true' }), entry.label)))),
    el('tbody', {}, differing.map((parameter) => el('tr', { 'data-parameter': parameter.name },
      el('th', { scope: 'row' }, labelOf(parameter.name), parameter.unit ? el('span', { class: 'unit' }, ` (${parameter.unit})`) : null),
      entries.map((entry) => {
        const value = entry.sim.scenario?.[parameter.name];
        return el('td', { class: Array.isArray(value) ? 'wrap' : null }, formatValue(value, parameter, schema?.parameters || []));
      })))))));
}

// Each simulation's timeline side by side: a strip of its days (one lane
// per item) and the items with the days they were on.
function renderTimelines() {
  const types = typesOf(schema?.interventions);
  const blocks = entries.map((entry) => {
    const items = effectiveTimeline(entry.sim);
    const days = entry.sim.scenario?.days ?? Math.max(0, entry.rows.length - 1);
    const reported = reportsActivity(entry.rowLists);
    const ranges = activeRanges(entry.rowLists);
    const runs = entry.rowLists.length;
    const heading = el('h3', {}, el('span', { class: 'legend-swatch', style: `background:${entry.color}`, 'aria-hidden': 'true' }), entry.label);
    if (items.length === 0) {
      return el('div', { class: 'timeline-run', 'data-id': entry.id }, heading, el('p', { class: 'empty' }, 'No timeline items.'));
    }
    const list = el('ul', {}, items.map((item, id) => el('li', { 'data-item': id },
      el('span', { class: 'legend-swatch legend-swatch-period', style: `background:${itemColor(id)}`, 'aria-hidden': 'true' }),
      el('span', {},
        el('strong', {}, itemLabel(item, id)), ` (${types.get(item.type)?.title || item.type}): `,
        reported ? `${onText(ranges.get(id))}${runs > 1 ? ` in any of ${runs} runs` : ''}` : `planned ${scheduleText(item, schema?.interventions)}`))));
    const strip = timelineStrip(items, reported ? ranges : null, days,
      `${entry.label}: ${reported ? 'days on which each item was on' : 'days planned for each item'}, day 0 to ${days}`);
    return el('div', { class: 'timeline-run', 'data-id': entry.id }, heading, strip, list);
  });
  $('timelines').replaceChildren(...blocks);
}

function renderList(missing) {
  const rows = entries.map((entry) => el('tr', {},
    el('th', { scope: 'row' },
      el('span', { class: 'legend-swatch', style: `background:${entry.color}`, 'aria-hidden': 'true' }),
      el('a', { href: `/simulations/${encodeURIComponent(entry.id)}` }, entry.label)),
    el('td', {}, statusBadge(entry.sim.status)),
    el('td', {}, entry.averaged ? `mean of ${entry.sim.scenario?.replicates} runs` : 'one run'),
    el('td', {}, el('a', { href: compareHref(ids.filter((other) => other !== entry.id)), 'aria-label': `Remove ${entry.label} from the comparison` }, 'Remove'))));
  const parts = [el('div', { class: 'table-scroll' }, el('table', { class: 'mine' },
    el('caption', { class: 'visually-hidden' }, 'Simulations in this comparison'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Name'), el('th', { scope: 'col' }, 'Status'),
      el('th', { scope: 'col' }, 'Shown'), el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, 'Remove')))),
    el('tbody', {}, rows)))];
  $('simulations').replaceChildren(...parts);
  if (missing.length) {
    showBanner($('banner'), missing.map(({ id, error }) => el('p', {},
      error.status === 404 ? `No simulation with id ${id}.` : `Simulation ${id} could not be loaded: ${error.message}`)));
  }
}

async function refresh() {
  const loaded = await Promise.all(ids.map(load));
  const missing = loaded.filter((entry) => entry.error);
  entries = loaded.filter((entry) => !entry.error);
  labelEntries(entries);
  if (entries.length === 0) {
    $('comparison').hidden = true;
    renderList(missing);
    return;
  }
  $('comparison').hidden = false;
  if (!chart) chart = new LineChart($('compare-chart'), { label: 'Chart comparing the simulations, one line each' });
  renderChart();
  renderTimelines();
  renderDifferences();
  renderList(missing);
  clearTimeout(pollTimer);
  if (entries.some((entry) => !FINAL_STATUSES.has(entry.sim.status))) pollTimer = setTimeout(refresh, 3000);
  else document.body.dataset.state = 'ready';
}

async function start() {
  for (const [key, label] of METRICS) metricSelect.append(el('option', { value: key }, label));
  const wanted = query.get('metric');
  metricSelect.value = METRICS.some(([key]) => key === wanted) ? wanted : 'currently_infected';
  metricSelect.addEventListener('change', () => {
    const next = new URLSearchParams(window.location.search);
    next.set('metric', metricSelect.value);
    window.history.replaceState(null, '', `?${next.toString().replaceAll('%2C', ',')}`);
    renderChart();
  });
  $('log-scale').addEventListener('change', renderChart);
  if (ids.length === 0) {
    $('empty').hidden = false;
    return;
  }
  try {
    schema = await loadSchema();
  } catch {
    schema = null;
  }
  await refresh();
}

start();
