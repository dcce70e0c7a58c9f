// /compare?ids=a,b,...[&metric=...][&units=...][&baseline=...]: the key
// figures of several simulations in a table, with the difference and the
// ratio to a baseline run; one metric of them on one chart; their policy
// timelines; and the parameters that differ between them.

import {
  FINAL_STATUSES, api, el, formatCount, formatRatio, formatValue, labelOf, loadSchema, shortId, showBanner, statusBadge,
} from './app.js';
import { LineChart, PALETTE, dayAxis, withAlpha } from './chart.js';
import { runName } from './naming.js';
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

// The units of the table and the chart: counts as they are, or divided by
// each run's population, so that runs of different sizes compare.
const UNITS = {
  people: { label: 'People', axis: 'People', scale: () => 1 },
  percent: { label: '% of population', axis: '% of population', scale: (population) => 100 / population },
  per100k: { label: 'Per 100,000', axis: 'Per 100,000 people', scale: (population) => 100000 / population },
};

// The key figures of the table, in its order. `kind`: a count (in the
// chosen units), a day, or a share of the population (always in %).
const FIGURES = [
  { key: 'peak_infected', label: 'Peak currently infected', kind: 'count' },
  { key: 'peak_day', label: 'Day of that peak', kind: 'day' },
  { key: 'attack_rate', label: 'Attack rate (infected in total)', kind: 'share' },
  { key: 'dead', label: 'Deaths', kind: 'count' },
  { key: 'peak_hospitalized', label: 'Peak in hospital', kind: 'count' },
  { key: 'peak_hospitalized_day', label: 'Day of the hospital peak', kind: 'day' },
];

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(window.location.search);
const ids = [...new Set((query.get('ids') || '').split(',').map((s) => s.trim()).filter(Boolean))];
const metricSelect = $('metric');
const unitsSelect = $('units');
const baselineSelect = $('baseline');

let schema = null;
let entries = [];  // [{id, sim, rows, rowLists, summary, runs, figures, color, label}] in the order of `ids`
let chart = null;
let pollTimer = null;

const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

// The results of a finished run of several replicates without their days
// (`part=summary`: the summary is all the page needs, and a fraction of the
// size); a server that does not know `part` answers 400, or the whole
// document, which serves as well. The summary rows' `interventions_active`
// are the items on that day in any run, which is what the timelines show.
async function loadResults(path, sim) {
  const replicates = sim.scenario?.replicates ?? 1;
  if (replicates > 1 && FINAL_STATUSES.has(sim.status)) {
    try {
      const results = await api(`${path}/results?format=json&part=summary`);
      if (results.summary || (results.replicates || []).length) return results;
    } catch (error) {
      if (error.status !== 400) throw error;
    }
  }
  return api(`${path}/results?format=json`);
}

async function load(id) {
  const path = `/api/v1/simulations/${encodeURIComponent(id)}`;
  try {
    const sim = await api(path);
    const results = await loadResults(path, sim);
    const rowLists = (results.replicates || []).map((replicate) => replicate.days || []).filter((days) => days.length);
    const summary = results.summary?.mean ? results.summary : null;
    const rows = summary?.mean || rowLists[0] || [];
    // Without the replicates' days, the summary's rows (whose active items
    // are those of any run) stand for them in the timelines.
    const activity = rowLists.length ? rowLists : (summary ? [summary.mean] : []);
    const runs = summary?.replicates ?? (rowLists.length || (summary ? sim.scenario?.replicates : 0) || 0);
    const entry = { id, sim, rows, rowLists, activity, summary, runs, averaged: Boolean(summary) };
    entry.figures = keyFigures(entry);
    return entry;
  } catch (error) {
    return { id, error };
  }
}

// --- key figures -----------------------------------------------------------

// Linear interpolation between order statistics (Hyndman & Fan type 7), the
// rule of the server's summaries.
function percentile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const h = q * (sorted.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

// The key figures of one run's days, as the API's `figures.runs[]` has them.
function figuresOfDays(days, population) {
  const rows = days.filter(Boolean);
  if (rows.length === 0) return null;
  let peak = rows[0];
  let hospital = rows[0];
  for (const row of rows) {
    if (row.currently_infected > peak.currently_infected) peak = row;
    if (row.hospitalized > hospital.hospitalized) hospital = row;
  }
  const last = rows[rows.length - 1];
  const lastWeek = rows.filter((row) => row.day > last.day - 7).reduce((sum, row) => sum + (row.new_infections || 0), 0);
  return {
    peak_infected: peak.currently_infected,
    peak_day: peak.day,
    total_infected: last.total_infected,
    attack_rate: population ? last.total_infected / population : null,
    dead: last.dead,
    peak_hospitalized: hospital.hospitalized,
    peak_hospitalized_day: hospital.day,
    infected_at_end: last.currently_infected,
    new_infections_last_7_days: lastWeek,
    still_spreading: lastWeek > 0,
    ended_on_day: null,
  };
}

// Mean, p5 and p95 of each figure over `runs`.
function statistics(runs) {
  const out = { mean: {}, p5: {}, p95: {} };
  for (const { key } of FIGURES) {
    const values = runs.map((run) => run[key]).filter(known);
    if (values.length === 0) continue;
    out.mean[key] = values.reduce((sum, v) => sum + v, 0) / values.length;
    out.p5[key] = percentile(values, 0.05);
    out.p95[key] = percentile(values, 0.95);
  }
  return out;
}

// {mean, p5?, p95?, runs, replicates, partial, stillSpreading, endedOnDay,
// source}: the API's `figures` when the server sends them, else worked out
// from the replicates' days, else (only a summary) from the mean's days.
function keyFigures(entry) {
  const { sim } = entry;
  const population = sim.scenario?.population;
  const replicates = sim.scenario?.replicates ?? 1;
  const given = sim.figures;
  if (given && given.mean && Array.isArray(given.runs)) {
    const runs = given.runs;
    const ended = runs.map((run) => run.ended_on_day).filter(known);
    return {
      mean: given.mean,
      p5: runs.length > 1 ? given.p5 : null,
      p95: runs.length > 1 ? given.p95 : null,
      runs: given.complete ?? runs.length,
      replicates: given.replicates ?? replicates,
      partial: Boolean(given.partial),
      stillSpreading: given.still_spreading ?? runs.filter((run) => run.still_spreading).length,
      endedOnDay: ended.length === runs.length && ended.length ? Math.max(...ended) : null,
      source: 'figures',
    };
  }
  // Only complete runs count: while a job runs, its last run is not over.
  const complete = FINAL_STATUSES.has(sim.status) ? entry.rowLists : entry.rowLists.slice(0, -1);
  const perRun = complete
    .filter((days) => days.length && days[days.length - 1].day === sim.scenario?.days)
    .map((days) => figuresOfDays(days, population))
    .filter(Boolean);
  if (perRun.length) {
    const stats = statistics(perRun);
    return {
      mean: stats.mean,
      p5: perRun.length > 1 ? stats.p5 : null,
      p95: perRun.length > 1 ? stats.p95 : null,
      runs: perRun.length,
      replicates,
      partial: FINAL_STATUSES.has(sim.status) && perRun.length < replicates,
      stillSpreading: perRun.filter((run) => run.still_spreading).length,
      endedOnDay: null,
      source: 'days',
    };
  }
  if (entry.summary) {
    const mean = figuresOfDays(entry.summary.mean, population);
    return {
      mean,
      p5: null,
      p95: null,
      runs: entry.runs,
      replicates,
      partial: Boolean(entry.summary.partial),
      stillSpreading: mean.still_spreading ? entry.runs : 0,
      endedOnDay: null,
      source: 'summary',
    };
  }
  return null;
}

// --- units and numbers -----------------------------------------------------

const MINUS = '\u2212';
const shareFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const per100kFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const ratioFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const dayFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

function currentUnits() {
  return Object.hasOwn(UNITS, unitsSelect.value) ? unitsSelect.value : 'people';
}

// The factor that turns a count of `entry` into the chosen units.
function scaleOf(entry, units = currentUnits()) {
  const population = entry.sim.scenario?.population;
  return units === 'people' || !(population > 0) ? 1 : UNITS[units].scale(population);
}

// A value in the chosen units, as written in the table and the chart.
function formatIn(units, value) {
  if (!known(value)) return '–';
  if (units === 'percent') return `${shareFormat.format(value)}%`;
  if (units === 'per100k') return per100kFormat.format(value);
  return formatCount(value);
}

// A figure's value in the table's units: counts scaled, shares in %.
function figureValue(entry, figure, statistic = 'mean') {
  const source = entry.figures?.[statistic];
  const value = source?.[figure.key];
  if (!known(value)) return null;
  if (figure.kind === 'count') return value * scaleOf(entry);
  if (figure.kind === 'share') return value * 100;
  return value;
}

function formatFigure(figure, value) {
  if (!known(value)) return '–';
  if (figure.kind === 'day') return `day ${dayFormat.format(value)}`;
  if (figure.kind === 'share') return `${shareFormat.format(value)}%`;
  return formatIn(currentUnits(), value);
}

function signed(text, value) {
  if (value > 0) return `+${text}`;
  if (value < 0) return `${MINUS}${text}`;
  return text;
}

// The difference to the baseline in words: "+1,234", "−12.5 points" (of a
// percentage), "+6 days".
function differenceText(figure, difference) {
  const size = Math.abs(difference);
  if (figure.kind === 'day') return signed(`${dayFormat.format(size)} ${size === 1 ? 'day' : 'days'}`, difference);
  if (figure.kind === 'share' || currentUnits() === 'percent') return signed(`${shareFormat.format(size)} points`, difference);
  return signed(formatIn(currentUnits(), size), difference);
}

// --- the key figures table -------------------------------------------------

function baselineEntry() {
  return entries.find((entry) => entry.id === baselineSelect.value && entry.figures) || entries.find((entry) => entry.figures) || null;
}

function endText(entry) {
  const f = entry.figures;
  if (!f) return '–';
  const parts = [];
  if (f.stillSpreading > 0) {
    parts.push(f.runs > 1 ? `still spreading at the end (${f.stillSpreading} of ${plural(f.runs, 'run')}): the totals are not final` : 'still spreading at the end: the totals are not final');
  } else if (known(f.endedOnDay)) {
    parts.push(`over: nothing changed after day ${f.endedOnDay}`);
  } else {
    parts.push('no new infections in the last 7 days');
  }
  if (f.partial) parts.push(`partial: ${f.runs} of ${plural(f.replicates, 'run')} complete`);
  return parts.join('; ');
}

function figureCell(entry, figure, baseline) {
  const value = figureValue(entry, figure);
  const attributes = { class: 'num', 'data-id': entry.id, 'data-figure': figure.key };
  if (!known(value)) return el('td', attributes, '–');
  attributes['data-value'] = String(value);
  const parts = [el('span', { class: 'figure-value' }, formatFigure(figure, value))];
  const low = figureValue(entry, figure, 'p5');
  const high = figureValue(entry, figure, 'p95');
  if (entry.figures.p5 && known(low) && known(high)) {
    attributes['data-p5'] = String(low);
    attributes['data-p95'] = String(high);
    const range = figure.kind === 'day'
      ? `days ${dayFormat.format(low)}–${dayFormat.format(high)}`
      : `${formatFigure(figure, low)}–${formatFigure(figure, high)}`;
    parts.push(el('span', { class: 'figure-range' }, `5–95%: ${range}`));
  }
  const base = baseline && baseline !== entry ? figureValue(baseline, figure) : null;
  if (baseline === entry) {
    parts.push(el('span', { class: 'figure-compare' }, 'baseline'));
  } else if (known(base)) {
    const difference = value - base;
    attributes['data-difference'] = String(difference);
    let text = differenceText(figure, difference);
    if (figure.kind !== 'day') {
      if (base !== 0) {
        const ratio = value / base;
        attributes['data-ratio'] = String(ratio);
        text += ` (×${ratioFormat.format(ratio)})`;
      }
    }
    parts.push(el('span', { class: 'figure-compare' }, text));
  }
  return el('td', attributes, parts);
}

function renderFigures() {
  const host = $('figures');
  const withFigures = entries.filter((entry) => entry.figures);
  if (withFigures.length === 0) {
    host.replaceChildren(el('p', { class: 'empty' }, 'No key figures yet: they are known once a run is complete.'));
    return;
  }
  // With one simulation there is nothing to set it against.
  const baseline = entries.length >= 2 ? baselineEntry() : null;
  const units = currentUnits();
  const unitText = units === 'people' ? 'counts in people' : `counts ${units === 'percent' ? 'in % of each run’s population' : 'per 100,000 of each run’s population'}`;
  const ranged = withFigures.some((entry) => entry.figures.p5);
  const caption = baseline ? `Key figures, with the difference and the ratio to the baseline (${baseline.label})` : 'Key figures';
  const explanation = `${unitText.charAt(0).toUpperCase()}${unitText.slice(1)}; the mean over runs where a simulation has several`
    + `${ranged ? ', with the 5th–95th percentile over its runs (5–95%)' : ''}. A difference of percentages is in percentage points.`
    + `${withFigures.some((entry) => entry.figures.runs > 1) ? ' A peak is the mean of the runs’ own peaks, which can lie above the highest point of the chart’s mean curve.' : ''}`;
  const header = el('tr', {}, el('th', { scope: 'col' }, 'Figure'),
    entries.map((entry) => el('th', { scope: 'col', 'data-id': entry.id, 'data-source': entry.figures?.source },
      el('span', { class: 'legend-swatch', style: `background:${entry.color}`, 'aria-hidden': 'true' }), entry.label,
      entry === baseline ? el('span', { class: 'figure-note' }, ' (baseline)') : null,
      entry.figures && entry.figures.runs > 1 ? el('span', { class: 'figure-note' }, ` mean of ${plural(entry.figures.runs, 'run')}`) : null,
      entry.figures?.partial ? el('span', { class: 'figure-note figure-partial' }, ' partial') : null)));
  const body = FIGURES.map((figure) => el('tr', { 'data-figure': figure.key },
    el('th', { scope: 'row' }, figure.label),
    entries.map((entry) => (entry.figures ? figureCell(entry, figure, baseline) : el('td', { class: 'num' }, 'not known yet')))));
  body.push(el('tr', { 'data-figure': 'end' }, el('th', { scope: 'row' }, 'At the end'),
    entries.map((entry) => el('td', { class: `end${entry.figures?.stillSpreading ? ' still-spreading' : ''}`, 'data-id': entry.id }, endText(entry)))));
  host.replaceChildren(el('p', { class: 'help', id: 'figures-explanation' }, explanation), el('div', {
    class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Key figures (scrolls sideways)',
  }, el('table', { class: 'figures', id: 'figures-table' },
    el('caption', {}, caption),
    el('thead', {}, header),
    el('tbody', {}, body))));
  const spreading = withFigures.filter((entry) => entry.figures.stillSpreading > 0);
  $('figures-note').hidden = spreading.length === 0;
  $('figures-note').textContent = spreading.length
    ? `Still spreading at the end: ${spreading.map((entry) => entry.label).join(', ')}. Their totals would grow with more days; run them longer to compare final figures.`
    : '';
}

function renderBaselineChoice() {
  const wanted = baselineSelect.value || query.get('baseline');
  baselineSelect.replaceChildren(...entries.map((entry) => el('option', { value: entry.id }, entry.label)));
  baselineSelect.value = entries.some((entry) => entry.id === wanted) ? wanted : entries[0]?.id ?? '';
  $('baseline-field').hidden = entries.length < 2;
}

// --- the chart -------------------------------------------------------------

function labelEntries(list) {
  const names = list.map((entry) => runName(entry.sim, schema));
  const counts = new Map();
  for (const name of names) counts.set(name, (counts.get(name) || 0) + 1);
  list.forEach((entry, i) => {
    entry.color = PALETTE[i % PALETTE.length];
    entry.label = counts.get(names[i]) > 1 ? `${names[i]} (${shortId(entry.id)})` : names[i];
  });
}

function metricLabel(key) {
  return (METRICS.find(([k]) => k === key) || [key, labelOf(key)])[1];
}

function column(rows, metric, length, scale) {
  const values = new Array(length).fill(null);
  rows.forEach((row, day) => {
    if (row && known(row[metric])) values[row.day ?? day] = row[metric] * scale;
  });
  return values;
}

function renderChart() {
  const metric = metricSelect.value;
  const ratio = RATIOS.has(metric);
  const units = ratio ? 'people' : currentUnits();
  const length = Math.max(1, ...entries.map((entry) => entry.rows.length));
  const xMax = Math.max(...entries.map((entry) => entry.sim.scenario?.days ?? 0));
  const data = [dayAxis(length)];
  const series = [];
  const bands = [];
  const population = [null];
  const bandRuns = new Set();
  for (const entry of entries) {
    const scale = ratio ? 1 : scaleOf(entry, units);
    data.push(column(entry.rows, metric, length, scale));
    series.push({ label: entry.label, color: entry.color, width: 2 });
    population.push(entry.sim.scenario?.population ?? null);
    const mean = series.length;
    const { summary } = entry;
    if (summary?.p5 && summary?.p95 && !ratio) {
      data.push(column(summary.p95, metric, length, scale));
      series.push({ label: `${entry.label}, 95th percentile`, color: entry.color, alpha: 0.25, width: 1, legend: false });
      data.push(column(summary.p5, metric, length, scale));
      series.push({ label: `${entry.label}, 5th percentile`, color: entry.color, alpha: 0.25, width: 1, legend: false });
      population.push(entry.sim.scenario?.population ?? null, entry.sim.scenario?.population ?? null);
      bands.push({ upper: series.length - 1, lower: series.length, color: withAlpha(entry.color, 0.15), of: mean });
      bandRuns.add(entry.runs);
    }
  }
  const format = ratio ? formatRatio : (value) => formatIn(units, value);
  // R_t gets a dashed reference line at 1: above it, the epidemic grows.
  const lines = ratio ? [{ value: 1, label: 'R = 1', color: '#59636b' }] : [];
  const bandLabel = bandRuns.size === 1
    ? `5th–95th percentile over ${plural([...bandRuns][0], 'run')}`
    : '5th–95th percentile over each simulation’s runs';
  chart.format = format;
  chart.yLabel = ratio ? 'R_t' : UNITS[units].axis;
  // The page's own units switch scales the values (the table follows it
  // too), so the chart's is not shown; `population` says what each series
  // is a count of.
  chart.update({
    series, data, xMax, log: $('log-scale').checked, lines, bands, bandLabel, population, units: false,
  });
  const host = $('compare-chart');
  host.dataset.series = String(entries.length);
  host.dataset.metric = metric;
  // (The chart's root says its own units, `people` here: the page scales.)
  $('comparison').dataset.units = units;
  host.dataset.bands = String(bands.length);
  const parts = entries.map((entry) => {
    let peak = null;
    let last = null;
    for (const row of entry.rows) {
      if (!row || !known(row[metric])) continue;
      if (peak === null || row[metric] > peak[metric]) peak = row;
      last = row;
    }
    if (!peak) return `${entry.label}: ${entry.rows.length ? 'not known yet' : 'no days yet'}`;
    const scale = ratio ? 1 : scaleOf(entry, units);
    if (CUMULATIVE.has(metric)) return `${entry.label}: ${format(last[metric] * scale)} by day ${last.day}`;
    if (ratio) return `${entry.label}: highest ${format(peak[metric])} on day ${peak.day}, ${format(last[metric])} on day ${last.day}, the last day known`;
    return `${entry.label}: highest ${format(peak[metric] * scale)} on day ${peak.day}`;
  });
  const unitText = ratio || units === 'people' ? '' : ` (${UNITS[units].label.toLowerCase()})`;
  const meanText = entries.some((e) => e.averaged)
    ? ` (mean over runs where a simulation has several${bands.length ? ', shaded between the 5th and 95th percentile of its runs' : ''})`
    : '';
  $('compare-summary').textContent = `${metricLabel(metric)} per day${unitText}${meanText}. ${parts.join('; ')}.`;
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
  host.replaceChildren(el('div', {
    class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Parameters that differ (scrolls sideways)',
  }, el('table', { class: 'differences' },
    el('caption', { class: 'visually-hidden' }, 'Parameters that differ between the simulations'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Parameter'),
      entries.map((entry) => el('th', { scope: 'col' },
        el('span', { class: 'legend-swatch', style: `background:${entry.color}`, 'aria-hidden': 'true' }), entry.label)))),
    el('tbody', {}, differing.map((parameter) => el('tr', { 'data-parameter': parameter.name },
      el('th', { scope: 'row' }, parameter.label || labelOf(parameter.name), parameter.unit ? el('span', { class: 'unit' }, ` (${parameter.unit})`) : null),
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
    const reported = reportsActivity(entry.activity);
    const ranges = activeRanges(entry.activity);
    const runs = Math.max(entry.runs, entry.activity.length);
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
    el('td', {}, entry.averaged ? `mean of ${plural(entry.runs, 'run')}` : 'one run'),
    el('td', {}, el('a', { href: compareHref(ids.filter((other) => other !== entry.id)), 'aria-label': `Remove ${entry.label} from the comparison` }, 'Remove'))));
  const parts = [el('div', {
    class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Simulations in this comparison (scrolls sideways)',
  }, el('table', { class: 'mine' },
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

// "Compare 2 simulations"; with one, that there is nothing to compare yet.
function renderHeading() {
  const count = entries.length;
  const heading = count >= 2 ? `Compare ${plural(count, 'simulation')}` : 'Compare simulations';
  $('page-heading').textContent = heading;
  document.title = `${heading} · outbreak`;
  $('one-note').hidden = count !== 1;
}

// The address keeps the page's choices, so that a comparison is shared as seen.
function remember(key, value, fallback) {
  const next = new URLSearchParams(window.location.search);
  if (value === fallback) next.delete(key);
  else next.set(key, value);
  window.history.replaceState(null, '', `?${next.toString().replaceAll('%2C', ',')}`);
}

async function refresh() {
  const loaded = await Promise.all(ids.map(load));
  const missing = loaded.filter((entry) => entry.error);
  entries = loaded.filter((entry) => !entry.error);
  labelEntries(entries);
  if (entries.length === 0) {
    renderHeading();
    $('comparison').hidden = true;
    renderList(missing);
    return;
  }
  $('comparison').hidden = false;
  renderHeading();
  renderBaselineChoice();
  renderFigures();
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
  for (const [key, { label }] of Object.entries(UNITS)) unitsSelect.append(el('option', { value: key }, label));
  unitsSelect.value = Object.hasOwn(UNITS, query.get('units')) ? query.get('units') : 'people';
  unitsSelect.addEventListener('change', () => {
    remember('units', unitsSelect.value, 'people');
    renderFigures();
    renderChart();
  });
  baselineSelect.addEventListener('change', () => {
    remember('baseline', baselineSelect.value, entries[0]?.id);
    renderFigures();
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
