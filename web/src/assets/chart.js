// Line charts on top of uPlot (loaded as the global `uPlot` by a classic
// script before the page's module). A chart is a plot with an accessible
// name, a toolbar (units, "Show as table", "Reset zoom", PNG and SVG
// downloads), an HTML legend whose entries show and hide their series and
// show each series' value at the cursor (or its latest value when the cursor
// is elsewhere), a caption for the bands and an optional data table.

import { el, formatCompact, formatCount } from './app.js';

// Colour-blind-safe (after Okabe and Ito, with the orange, the sky blue and
// the olive darkened), every colour at least 3:1 against white.
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#b8568f', '#a66f00', '#000000', '#882255', '#6b7a1f'];

// Dash patterns (CSS pixels) given to the series of the 2nd, 3rd, ...
// colour of a chart, so that no series is told apart by its colour alone.
export const DASHES = [null, [10, 5], [2, 4], [12, 4, 2, 4], [6, 3], [2, 2, 8, 2], [16, 6], [4, 4, 4, 10]];

export function withAlpha(hex, alpha) {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

function channels(hex) {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function toHex(rgb) {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

// WCAG's relative luminance of "#rrggbb".
export function luminance(hex) {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// WCAG's contrast ratio of two "#rrggbb" colours (1 to 21).
export function contrastRatio(hexA, hexB) {
  const [light, dark] = [luminance(hexA), luminance(hexB)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}

// `hex`, darkened just enough to reach 3:1 against white where it does not
// (a page's own colour such as #e69f00 is drawn a little darker).
export function legibleColor(hex) {
  if (typeof hex !== 'string' || !/^#[0-9a-f]{6}$/i.test(hex)) return hex;
  let rgb = channels(hex);
  for (let step = 0; step < 40 && contrastRatio(toHex(rgb), '#ffffff') < 3; step += 1) rgb = rgb.map((c) => c * 0.95);
  return toHex(rgb);
}

// Tick steps: 1, 2 and 5 times a power of ten, whose multiples all write
// exactly ("1,250" never becomes "1.3K"); whole days on the x axis.
const STEPS = [];
for (let exponent = -8; exponent <= 12; exponent += 1) {
  for (const m of [1, 2, 5]) STEPS.push(Number(`${m}e${exponent}`));
}
const DAY_STEPS = STEPS.filter((step) => step >= 1);

const UNITS = [
  { id: 'people', label: 'People', factor: 1 },
  { id: 'percent', label: '% of population', factor: 100 },
  { id: 'per100k', label: 'Per 100,000', factor: 100000 },
];

const significant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

function formatScaled(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Math.abs(value) < 100 ? significant.format(value) : oneDecimal.format(value);
}

function chartHeight(width) {
  return width < 520 ? 240 : 320;
}

const known = (v) => v !== null && v !== undefined && !Number.isNaN(v);

// "Chart of people currently infected, ..." -> "chart-of-people-currently-infected".
function fileName(text) {
  const slug = String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return (slug.slice(0, 60).replace(/-+$/, '') || 'chart');
}

const escapeXml = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

let chartCount = 0;

export class LineChart {
  // `root` is an empty element; `label` names the chart for screen readers
  // and the downloaded files; `caption` (optional) is shown under the
  // legend and heads the table. `format` writes a value in the legend
  // (default: a whole count).
  constructor(root, { label, xLabel = 'Day', yLabel = 'People', format = formatCount, caption = '' }) {
    chartCount += 1;
    this.id = `chart-${chartCount}`;
    this.root = root;
    this.label = label;
    this.caption = caption;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.format = format;
    this.units = 'people';
    this.hidden = new Set();
    this.zoom = null;
    this.tableOpen = false;

    this.unitsSelect = el('select', { id: `${this.id}-units`, onchange: () => { this.units = this.unitsSelect.value; this.render(true); } },
      UNITS.map((unit) => el('option', { value: unit.id }, unit.label)));
    this.unitsField = el('label', { class: 'chart-units', hidden: true }, 'Units ', this.unitsSelect);
    this.tableButton = el('button', { type: 'button', class: 'button small', 'aria-expanded': 'false', 'aria-controls': `${this.id}-table`, onclick: () => this.toggleTable() }, 'Show as table');
    this.resetButton = el('button', { type: 'button', class: 'button small', hidden: true, onclick: () => this.resetZoom(true) }, 'Reset zoom');
    this.pngButton = el('button', { type: 'button', class: 'button small', onclick: () => this.downloadPng() }, 'PNG');
    this.svgButton = el('button', { type: 'button', class: 'button small', onclick: () => this.downloadSvg() }, 'SVG');
    this.toolbar = el('div', { class: 'chart-toolbar' }, this.unitsField, this.tableButton, this.resetButton,
      el('span', { class: 'chart-downloads' }, el('span', { class: 'chart-downloads-label', id: `${this.id}-dl` }, 'Download:'),
        this.pngButton, this.svgButton));
    this.pngButton.setAttribute('aria-describedby', `${this.id}-dl`);
    this.svgButton.setAttribute('aria-describedby', `${this.id}-dl`);
    this.plotHost = el('div', { class: 'chart-plot', role: 'img', 'aria-label': label });
    this.legend = el('ul', { class: 'chart-legend', 'aria-label': `Legend: ${label}` });
    this.captionNode = el('p', { class: 'chart-caption', hidden: true });
    this.tableRegion = el('div', {
      class: 'chart-table', id: `${this.id}-table`, role: 'region', tabindex: '0', 'aria-label': `Table: ${label}`, hidden: true,
    });
    root.replaceChildren(this.toolbar, this.plotHost, this.legend, this.captionNode, this.tableRegion);
    this.plot = null;
    this.signature = '';
    this.spec = null;
    this.tablePending = false;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(root);
  }

  // Draws `spec`: {series: [{label, color, width?, alpha?, legend?, dash?,
  // legendLabel?, key?}], data: [xs, ys...] (null = no point), bands?:
  // [{upper, lower, color, of?}] (series indexes, 1-based as in uPlot; `of`
  // the mean series the band belongs to, else the nearest legend series
  // before it), bandCaption?: false when the page captions the bands itself,
  // bandLabel?: the bands' legend entry and caption ("5th–95th
  // percentile over 4 runs"), population?: a number, or one per series
  // (entry i for series i, entry 0 unused; or as long as `series`, from
  // 0), which offers the units switch unless units: false, xMax?: fixed
  // right end of the x axis, log?: logarithmic y axis, lines?: [{value,
  // label, color}]: dashed horizontal reference lines across the whole plot,
  // in the legend too, periods?: [{label, color, ranges: [[first, last],
  // ...], text?}]: days shaded behind the lines (one period per timeline
  // item, with a strip of its own along the top and an entry in the
  // legend)}. Rebuilds the plot only when the series change; new data (and
  // longer periods) alone is a cheap update.
  update(spec) {
    this.spec = spec;
    this.render(false);
  }

  // The series' roles: which are bands (and of which mean), which follow a
  // legend entry's visibility (same colour, not in the legend).
  roles() {
    const spec = this.spec;
    const n = spec.series.length;
    const bandOf = new Array(n + 1).fill(0);
    const bandsOf = new Map();
    for (const band of spec.bands || []) {
      let of = band.of;
      if (!of) {
        for (let i = Math.min(band.upper, band.lower) - 1; i >= 1; i -= 1) {
          if (spec.series[i - 1].legend !== false) { of = i; break; }
        }
      }
      bandOf[band.upper] = of || -1;
      bandOf[band.lower] = of || -1;
      if (of) bandsOf.set(of, band);
    }
    // Each legend series' group: itself, its band's series and the series
    // left out of the legend drawn in its colour (a run's faint lines).
    const owner = new Array(n + 1).fill(0);
    spec.series.forEach((s, k) => {
      const i = k + 1;
      if (s.legend !== false) owner[i] = i;
      else if (bandOf[i] > 0) owner[i] = bandOf[i];
    });
    spec.series.forEach((s, k) => {
      const i = k + 1;
      if (owner[i] || bandOf[i]) return;
      const match = spec.series.findIndex((t) => t.legend !== false && t.color === s.color);
      if (match >= 0) owner[i] = match + 1;
    });
    // Dashes by colour: the first colour solid, the next ones dashed.
    const colours = [];
    const dash = spec.series.map((s, k) => {
      if (s.dash !== undefined) return s.dash || null;
      if (bandOf[k + 1]) return null;
      let at = colours.indexOf(s.color);
      if (at < 0) { colours.push(s.color); at = colours.length - 1; }
      return DASHES[at % DASHES.length];
    });
    return { bandOf, bandsOf, owner, dash };
  }

  populationOf(i) {
    const population = this.spec.population;
    if (Array.isArray(population)) {
      return population.length === this.spec.series.length ? population[i - 1] : population[i];
    }
    return population;
  }

  unitsOffered() {
    return this.spec.population !== undefined && this.spec.population !== null && this.spec.units !== false;
  }

  unit() {
    const id = this.unitsOffered() ? this.units : 'people';
    return UNITS.find((unit) => unit.id === id);
  }

  valueFormat() {
    const unit = this.unit();
    if (unit.id === 'people') return this.format;
    if (unit.id === 'percent') return (v) => (known(v) ? `${formatScaled(v)}%` : '–');
    return (v) => (known(v) ? formatScaled(v) : '–');
  }

  yTitle() {
    const unit = this.unit();
    if (unit.id === 'percent') return this.yLabel === 'People' ? '% of population' : `${this.yLabel}, % of population`;
    if (unit.id === 'per100k') return this.yLabel === 'People' ? 'People per 100,000' : `${this.yLabel} per 100,000 people`;
    return this.yLabel;
  }

  // The values in the chosen units (the raw data when in people).
  scaledData() {
    const spec = this.spec;
    const unit = this.unit();
    if (unit.factor === 1) return spec.data;
    return spec.data.map((column, i) => {
      if (i === 0) return column;
      const population = this.populationOf(i);
      const factor = population > 0 ? unit.factor / population : null;
      return column.map((v) => (known(v) && factor !== null ? v * factor : null));
    });
  }

  render(forceBuild) {
    const spec = this.spec;
    if (!spec) return;
    this.roleInfo = this.roles();
    const { bandOf } = this.roleInfo;
    const values = this.scaledData();
    this.values = values;
    // A legend entry whose series (its band and faint runs included) are
    // all zero, with a known value at all, is hidden.
    const { owner } = this.roleInfo;
    const seen = new Set();
    const nonZero = new Set();
    for (let i = 1; i < values.length; i += 1) {
      const lead = owner[i];
      if (!lead || nonZero.has(lead)) continue;
      const column = values[i];
      for (let j = 0; j < column.length; j += 1) {
        const v = column[j];
        if (!known(v)) continue;
        seen.add(lead);
        if (v !== 0) { nonZero.add(lead); break; }
      }
    }
    this.allZero = new Set([...seen].filter((lead) => !nonZero.has(lead) && spec.series[lead - 1].legend !== false));
    const unit = this.unit();
    const firstPopulation = this.populationOf(1);
    this.lines = (spec.lines || []).map((line) => ({
      ...line,
      value: unit.factor === 1 ? line.value : (firstPopulation > 0 ? (line.value * unit.factor) / firstPopulation : NaN),
    })).filter((line) => Number.isFinite(line.value) && (!spec.log || line.value > 0));

    // Log scale: the y range spans whole powers of ten around the shown
    // values; lines leave a gap where a value is 0, and a band's edges are
    // held at the axis minimum instead of dropping to zero.
    let data = values;
    if (spec.log) {
      let low = Infinity;
      let high = 0;
      values.forEach((column, i) => {
        if (i === 0 || !this.isShown(i)) return;
        for (const v of column) {
          if (known(v) && v > 0) {
            if (v < low) low = v;
            if (v > high) high = v;
          }
        }
      });
      for (const line of this.lines) { low = Math.min(low, line.value); high = Math.max(high, line.value); }
      let bottom = Number.isFinite(low) ? Math.floor(Math.log10(low)) : 0;
      let top = high > 0 ? Math.ceil(Math.log10(high)) : bottom + 1;
      if (top <= bottom) top = bottom + 1;
      bottom = Math.max(bottom, -12);
      this.logRange = [Number(`1e${bottom}`), Number(`1e${top}`)];
      const floor = this.logRange[0];
      data = values.map((column, i) => {
        if (i === 0) return column;
        if (bandOf[i]) return column.map((v) => (known(v) ? Math.max(v, floor) : null));
        return column.map((v) => (known(v) && v > 0 ? v : null));
      });
    }
    this.data = data;

    const periods = (spec.periods || []).map((period) => [period.label, period.color]);
    const signature = JSON.stringify([spec.series, spec.bands || [], spec.bandLabel || '', spec.log || false, spec.xMax ?? null,
      this.yLabel, this.lines.map((line) => [line.value, line.label, line.color]), periods, unit.id, this.unitsOffered()]);
    this.unitsField.hidden = !this.unitsOffered();
    if (!this.plot || forceBuild || signature !== this.signature) {
      this.signature = signature;
      this.build();
    } else {
      this.plot.batch(() => {
        this.syncShown();
        this.plot.setData(data);
      });
      this.refreshPeriods();
      this.refreshLegendState();
    }
    this.root.dataset.units = unit.id;
    this.showValues(null);
    if (this.tableOpen) this.scheduleTable();
  }

  // A series is drawn unless its legend entry is switched off or all zero.
  isShown(i) {
    const { owner, bandOf } = this.roleInfo;
    const lead = owner[i];
    if (bandOf[i] && this.hidden.has('__bands')) return false;
    if (!lead) return true;
    if (this.allZero.has(lead)) return false;
    return !this.hidden.has(this.keyOf(lead));
  }

  keyOf(i) {
    const s = this.spec.series[i - 1];
    return s.key ?? s.legendLabel ?? s.label;
  }

  syncShown() {
    this.spec.series.forEach((s, k) => {
      const show = this.isShown(k + 1);
      if (this.plot.series[k + 1].show !== show) this.plot.setSeries(k + 1, { show }, false);
    });
  }

  // The periods' legend texts ("on days 30-71") change as days arrive,
  // without a rebuild.
  refreshPeriods() {
    const texts = (this.spec.periods || []).map((period) => period.text || '');
    this.legend.querySelectorAll('li.legend-period .legend-value').forEach((node, i) => {
      if (node.textContent !== texts[i]) node.textContent = texts[i];
    });
  }

  build() {
    if (this.plot) this.plot.destroy();
    const spec = this.spec;
    const lines = this.lines;
    const { dash } = this.roleInfo;
    const width = Math.max(this.root.clientWidth, 280);
    const axisFont = '12px system-ui, sans-serif';
    const options = {
      width,
      height: chartHeight(width),
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { size: 6 },
        bind: {
          dblclick: () => (event) => {
            if (event.button === 0) this.resetZoom(false);
            return null;
          },
        },
      },
      scales: {
        x: {
          time: false,
          range: () => this.zoom || this.fullRange(),
        },
        y: spec.log
          ? { distr: 3, log: 10, range: () => this.logRange }
          : { range: (u, min, max) => [0, Math.max(max ?? 0, ...lines.map((line) => line.value)) * 1.05 || 1] },
      },
      axes: [
        {
          label: this.xLabel,
          font: axisFont,
          stroke: '#4b5563',
          grid: { stroke: '#e5e7eb' },
          ticks: { stroke: '#d1d5db' },
          incrs: DAY_STEPS,
          values: (u, splits) => splits.map((v) => (v === null ? '' : formatCompact(v))),
        },
        {
          label: this.yTitle(),
          font: axisFont,
          stroke: '#4b5563',
          size: 64,
          grid: { stroke: '#e5e7eb' },
          ticks: { stroke: '#d1d5db' },
          ...(spec.log
            ? { splits: (u, axis, min, max) => powersOfTen(min, max) }
            : { incrs: STEPS }),
          values: (u, splits) => splits.map((v) => (v === null ? '' : formatCompact(v))),
        },
      ],
      series: [
        { label: this.xLabel },
        ...spec.series.map((s, k) => {
          const color = legibleColor(s.color);
          const stroke = s.alpha !== undefined ? withAlpha(color, s.alpha) : color;
          return {
            label: s.label,
            stroke,
            width: s.width ?? 2,
            dash: dash[k] || undefined,
            show: this.isShown(k + 1),
            // A value with gaps on both sides (an R_t known for one day
            // among unknown ones) has no line to show it: it gets a dot.
            points: { show: false, size: 5, fill: stroke, filter: isolatedPoints },
            spanGaps: false,
          };
        }),
      ],
      bands: (spec.bands || []).map((band) => ({ series: [band.upper, band.lower], fill: band.color })),
      hooks: {
        setCursor: [(u) => this.showValues(u.cursor.idx)],
        setSelect: [(u) => this.zoomToSelection(u)],
        drawClear: [(u) => drawPeriods(u, this.spec.periods || [], false)],
        draw: [(u) => drawLines(u, lines), (u) => drawPeriods(u, this.spec.periods || [], true)],
      },
    };
    this.plot = new uPlot(options, this.data, this.plotHost);
    this.buildLegend();
  }

  // All days: from 0 to the last day or `xMax`, whichever is later.
  fullRange() {
    const xs = this.spec.data[0];
    return [0, Math.max(this.spec.xMax ?? 0, xs.length ? xs[xs.length - 1] : 0, 1)];
  }

  zoomToSelection(u) {
    const { left, width } = u.select;
    if (width < 3) return;
    let min = Math.floor(u.posToVal(left, 'x'));
    let max = Math.ceil(u.posToVal(left + width, 'x'));
    if (max - min < 2) max = min + 2;
    min = Math.max(0, min);
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.setZoom([min, max]);
  }

  // Shows days `range` = [first, last] (null: all).
  setZoom(range) {
    this.zoom = range;
    this.resetButton.hidden = range === null;
    const [min, max] = range || this.fullRange();
    this.plot.setScale('x', { min, max });
    if (this.tableOpen) this.scheduleTable();
    this.showValues(null);
  }

  resetZoom(fromButton) {
    if (!this.zoom) return;
    this.setZoom(null);
    if (fromButton) this.tableButton.focus();
  }

  buildLegend() {
    this.legendValues = [];
    const items = [];
    const { dash } = this.roleInfo;
    this.spec.series.forEach((s, k) => {
      if (s.legend === false) return;
      const i = k + 1;
      const value = el('span', { class: 'legend-value' });
      this.legendValues.push([i, value]);
      const button = el('button', {
        type: 'button', class: 'legend-toggle', 'aria-pressed': 'true', 'data-series': String(i),
        onclick: () => this.toggle(this.keyOf(i)),
      }, swatch(legibleColor(s.color), dash[k], s.width ?? 2), el('span', { class: 'legend-label' }, s.legendLabel || s.label));
      items.push(el('li', { class: 'legend-series', 'data-series': String(i) }, button, value));
    });
    if (this.spec.bandLabel && (this.spec.bands || []).length) {
      const band = this.spec.bands[0];
      const button = el('button', {
        type: 'button', class: 'legend-toggle', 'aria-pressed': 'true', onclick: () => this.toggle('__bands'),
      }, el('span', { class: 'legend-swatch legend-swatch-band', style: `background:${band.color}`, 'aria-hidden': 'true' }),
      el('span', { class: 'legend-label' }, this.spec.bandLabel));
      items.push(el('li', { class: 'legend-band' }, button));
    }
    for (const period of this.spec.periods || []) {
      items.push(el('li', { class: 'legend-period', 'data-period': period.label },
        el('span', { class: 'legend-swatch legend-swatch-period', style: `background:${period.color}`, 'aria-hidden': 'true' }),
        el('span', { class: 'legend-label' }, period.label),
        el('span', { class: 'legend-value' }, period.text || '')));
    }
    for (const line of this.lines) {
      items.push(el('li', { class: 'legend-line' },
        el('span', { class: 'legend-swatch legend-swatch-dashed', style: `border-color:${line.color}`, 'aria-hidden': 'true' }),
        el('span', { class: 'legend-label' }, line.label)));
    }
    this.legend.replaceChildren(...items);
    const caption = [this.caption && this.caption.replace(/([^.])$/, '$1.'), this.spec.bandLabel && this.spec.bandCaption !== false && (this.spec.bands || []).length ? `Shaded bands: ${this.spec.bandLabel}.` : '']
      .filter(Boolean).join(' ');
    this.captionNode.textContent = caption;
    this.captionNode.hidden = caption === '';
    this.refreshLegendState();
  }

  refreshLegendState() {
    for (const button of this.legend.querySelectorAll('button.legend-toggle')) {
      const i = Number(button.dataset.series || 0);
      const key = i ? this.keyOf(i) : '__bands';
      const zero = i && this.allZero.has(i);
      const pressed = zero ? 'false' : String(!this.hidden.has(key));
      if (button.getAttribute('aria-pressed') !== pressed) button.setAttribute('aria-pressed', pressed);
      if (button.disabled !== Boolean(zero)) button.disabled = Boolean(zero);
      button.parentElement.classList.toggle('legend-zero', Boolean(zero));
    }
  }

  // Shows or hides the series of legend entry `key` (and its band).
  toggle(key) {
    if (this.hidden.has(key)) this.hidden.delete(key);
    else this.hidden.add(key);
    if (this.spec.log) {
      this.render(true);
      return;
    }
    this.plot.batch(() => this.syncShown());
    this.refreshLegendState();
  }

  // Values at data index `index`, or each series' latest value (of the
  // zoomed days) when null;
  // a series with a band reads "mean (p5–p95)".
  showValues(index) {
    if (!this.spec || !this.legendValues) return;
    const values = this.values;
    const format = this.valueFormat();
    const { bandsOf } = this.roleInfo;
    for (const [column, node] of this.legendValues) {
      let text = '';
      if (this.allZero.has(column)) {
        text = '(all zero)';
      } else {
        const series = values[column];
        let at = index;
        if (at === null || at === undefined || at < 0) {
          // The last value shown: of the zoomed days when zoomed.
          at = series.length - 1;
          const xs = this.spec.data[0];
          if (this.zoom) while (at > 0 && xs[at] > this.zoom[1]) at -= 1;
          while (at >= 0 && !known(series[at])) at -= 1;
        }
        const value = at >= 0 ? series[at] : null;
        if (known(value)) {
          const band = bandsOf.get(column);
          let range = '';
          if (band) {
            const low = values[band.lower]?.[at];
            const high = values[band.upper]?.[at];
            if (known(low) && known(high)) range = ` (${format(Math.min(low, high))}–${format(Math.max(low, high))})`;
          }
          text = `${format(value)}${range} (day ${this.spec.data[0][at]})`;
        }
      }
      if (node.textContent !== text) node.textContent = text;
    }
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(this.root.clientWidth, 280);
    if (width !== this.plot.width) this.plot.setSize({ width, height: chartHeight(width) });
  }

  // ---- the table ----

  toggleTable() {
    this.tableOpen = !this.tableOpen;
    this.tableButton.setAttribute('aria-expanded', String(this.tableOpen));
    this.tableButton.textContent = this.tableOpen ? 'Hide table' : 'Show as table';
    this.tableRegion.hidden = !this.tableOpen;
    if (this.tableOpen) this.renderTable();
    else this.tableRegion.replaceChildren();
  }

  scheduleTable() {
    if (this.tablePending) return;
    this.tablePending = true;
    requestAnimationFrame(() => {
      this.tablePending = false;
      if (this.tableOpen) this.renderTable();
    });
  }

  // A row per day (of the zoomed days, when zoomed), a column per legend
  // series, each value with its band's range.
  renderTable() {
    const spec = this.spec;
    if (!spec) return;
    const values = this.values;
    const format = this.valueFormat();
    const { bandsOf } = this.roleInfo;
    const columns = [];
    spec.series.forEach((s, k) => { if (s.legend !== false) columns.push(k + 1); });
    const unit = this.unit();
    const unitText = unit.id === 'people' ? '' : ` (${unit.label.toLowerCase()})`;
    const captionText = `${this.caption || this.label}${unitText}${spec.bandLabel && bandsOf.size ? `; in brackets: ${spec.bandLabel}` : ''}`;
    const head = `<tr><th scope="col">${escapeXml(this.xLabel)}</th>${columns.map((i) => `<th scope="col">${escapeXml(spec.series[i - 1].legendLabel || spec.series[i - 1].label)}</th>`).join('')}</tr>`;
    const xs = spec.data[0];
    const [first, last] = this.zoom || [-Infinity, Infinity];
    const rows = [];
    for (let j = 0; j < xs.length; j += 1) {
      if (xs[j] < first || xs[j] > last) continue;
      let row = `<tr><th scope="row">${escapeXml(xs[j])}</th>`;
      for (const i of columns) {
        const v = values[i][j];
        let cell = known(v) ? format(v) : '–';
        const band = bandsOf.get(i);
        if (band && known(v)) {
          const low = values[band.lower][j];
          const high = values[band.upper][j];
          if (known(low) && known(high)) cell += ` (${format(Math.min(low, high))}–${format(Math.max(low, high))})`;
        }
        row += `<td>${escapeXml(cell)}</td>`;
      }
      rows.push(`${row}</tr>`);
    }
    const scroll = this.tableRegion.scrollTop;
    this.tableRegion.innerHTML = `<table><caption>${escapeXml(captionText)}</caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
    this.tableRegion.scrollTop = scroll;
  }

  // ---- downloads ----

  // The visible legend entries, for the pictures: [{label, color, dash, band}].
  legendEntries() {
    const entries = [];
    const { dash } = this.roleInfo;
    this.spec.series.forEach((s, k) => {
      if (s.legend === false || !this.isShown(k + 1)) return;
      entries.push({ label: s.legendLabel || s.label, color: legibleColor(s.color), dash: dash[k] });
    });
    if (this.spec.bandLabel && (this.spec.bands || []).length && !this.hidden.has('__bands')) {
      entries.push({ label: this.spec.bandLabel, color: this.spec.bands[0].color, band: true });
    }
    for (const line of this.lines) entries.push({ label: line.label, color: line.color, dash: [6, 4] });
    for (const period of this.spec.periods || []) entries.push({ label: period.label, color: withAlpha(period.color, 0.55), band: true });
    return entries;
  }

  // Legend rows laid out to `width`: [{x, y, entry}], and the height used.
  legendLayout(width, measure) {
    const placed = [];
    let x = 8;
    let y = 0;
    for (const entry of this.legendEntries()) {
      const w = 30 + measure(entry.label) + 18;
      if (x > 8 && x + w > width - 8) { x = 8; y += 20; }
      placed.push({ x, y, entry });
      x += w;
    }
    return { placed, height: placed.length ? y + 28 : 0 };
  }

  // The chart's canvas (axes, lines, bands) with a title above and the
  // legend below, as a PNG.
  pngBlob() {
    const u = this.plot;
    const source = u.ctx.canvas;
    const ratio = source.width / u.width;
    const scratch = document.createElement('canvas').getContext('2d');
    scratch.font = '13px system-ui, sans-serif';
    const { placed, height: legendHeight } = this.legendLayout(u.width, (text) => scratch.measureText(text).width);
    const titleHeight = 28;
    const canvas = document.createElement('canvas');
    canvas.width = source.width;
    canvas.height = Math.ceil((titleHeight + u.height + legendHeight) * ratio);
    const ctx = canvas.getContext('2d');
    ctx.scale(ratio, ratio);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, u.width, titleHeight + u.height + legendHeight);
    ctx.fillStyle = '#1d2327';
    ctx.font = '600 14px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillText(this.caption || this.label, 8, titleHeight / 2, u.width - 16);
    ctx.drawImage(source, 0, titleHeight, u.width, u.height);
    ctx.font = '13px system-ui, sans-serif';
    for (const { x, y, entry } of placed) {
      const cy = titleHeight + u.height + 10 + y;
      if (entry.band) {
        ctx.fillStyle = entry.color;
        ctx.fillRect(x, cy - 6, 24, 12);
      } else {
        ctx.strokeStyle = entry.color;
        ctx.lineWidth = 2.5;
        ctx.setLineDash(entry.dash || []);
        ctx.beginPath();
        ctx.moveTo(x, cy);
        ctx.lineTo(x + 24, cy);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.fillStyle = '#1d2327';
      ctx.fillText(entry.label, x + 30, cy);
    }
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  }

  async downloadPng() {
    const blob = await this.pngBlob();
    if (blob) saveBlob(blob, `${fileName(this.label)}.png`);
  }

  // The chart drawn again from its data and scales: the plot area, a path
  // per visible series (gaps kept), a polygon per band, reference lines,
  // shaded periods, the axes with their ticks and labels, and the legend.
  svgText() {
    const u = this.plot;
    const ratio = u.ctx.canvas.width / u.width;
    const left = u.bbox.left / ratio;
    const top = u.bbox.top / ratio;
    const width = u.bbox.width / ratio;
    const height = u.bbox.height / ratio;
    const titleHeight = 28;
    const { placed, height: legendHeight } = this.legendLayout(u.width, (text) => text.length * 7);
    const total = titleHeight + u.height + legendHeight;
    const X = (v) => (left + u.valToPos(v, 'x')).toFixed(1);
    const Y = (v) => (titleHeight + top + u.valToPos(v, 'y')).toFixed(1);
    const xs = this.data[0];
    const parts = [];
    parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${u.width}" height="${total}" viewBox="0 0 ${u.width} ${total}" font-family="system-ui, sans-serif" font-size="12">`);
    parts.push(`<title>${escapeXml(this.label)}</title>`);
    parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
    parts.push(`<text x="8" y="18" font-size="14" font-weight="600" fill="#1d2327">${escapeXml(this.caption || this.label)}</text>`);
    parts.push(`<defs><clipPath id="plot"><rect x="${left}" y="${titleHeight + top}" width="${width}" height="${height}"/></clipPath></defs>`);
    // Axes: grid lines and tick labels as uPlot placed them.
    const [xAxis, yAxis] = u.axes;
    const grid = [];
    (xAxis._splits || []).forEach((v, k) => {
      const x = X(v);
      grid.push(`<line x1="${x}" y1="${titleHeight + top}" x2="${x}" y2="${titleHeight + top + height}" stroke="#e5e7eb"/>`);
      grid.push(`<text class="tick-x" x="${x}" y="${titleHeight + top + height + 16}" text-anchor="middle" fill="#4b5563">${escapeXml(xAxis._values?.[k] ?? '')}</text>`);
    });
    (yAxis._splits || []).forEach((v, k) => {
      const y = Y(v);
      grid.push(`<line x1="${left}" y1="${y}" x2="${left + width}" y2="${y}" stroke="#e5e7eb"/>`);
      grid.push(`<text class="tick-y" x="${left - 6}" y="${y}" dy="0.35em" text-anchor="end" fill="#4b5563">${escapeXml(yAxis._values?.[k] ?? '')}</text>`);
    });
    parts.push(`<g class="axes">${grid.join('')}`);
    parts.push(`<line x1="${left}" y1="${titleHeight + top + height}" x2="${left + width}" y2="${titleHeight + top + height}" stroke="#4b5563"/>`);
    parts.push(`<line x1="${left}" y1="${titleHeight + top}" x2="${left}" y2="${titleHeight + top + height}" stroke="#4b5563"/>`);
    parts.push(`<text x="${left + width / 2}" y="${titleHeight + u.height - 6}" text-anchor="middle" fill="#1d2327">${escapeXml(this.xLabel)}</text>`);
    parts.push(`<text transform="translate(14 ${titleHeight + top + height / 2}) rotate(-90)" text-anchor="middle" fill="#1d2327">${escapeXml(this.yTitle())}</text></g>`);
    parts.push('<g clip-path="url(#plot)">');
    // Periods, bands, lines.
    (this.spec.periods || []).forEach((period) => {
      for (const [first, last] of period.ranges || []) {
        const x0 = Number(X(first - 0.5));
        const x1 = Number(X(last + 0.5));
        parts.push(`<rect class="period" x="${x0.toFixed(1)}" y="${titleHeight + top}" width="${Math.max(0, x1 - x0).toFixed(1)}" height="${height}" fill="${period.color}" fill-opacity="0.12"/>`);
      }
    });
    (this.spec.bands || []).forEach((band) => {
      if (!this.isShown(band.upper) || !this.isShown(band.lower)) return;
      const upper = this.data[band.upper];
      const lower = this.data[band.lower];
      let d = '';
      let run = [];
      const flush = () => {
        if (run.length > 1) {
          d += `M${run.map((j) => `${X(xs[j])},${Y(upper[j])}`).join('L')}`;
          d += `L${run.slice().reverse().map((j) => `${X(xs[j])},${Y(lower[j])}`).join('L')}Z`;
        }
        run = [];
      };
      for (let j = 0; j < xs.length; j += 1) {
        if (known(upper[j]) && known(lower[j])) run.push(j);
        else flush();
      }
      flush();
      if (d) parts.push(`<path class="band" d="${d}" fill="${band.color}" stroke="none"/>`);
    });
    const { dash } = this.roleInfo;
    this.spec.series.forEach((s, k) => {
      const i = k + 1;
      if (!this.isShown(i)) return;
      const column = this.data[i];
      let d = '';
      let pen = false;
      for (let j = 0; j < xs.length; j += 1) {
        const v = column[j];
        if (!known(v)) { pen = false; continue; }
        d += `${pen ? 'L' : 'M'}${X(xs[j])},${Y(v)}`;
        pen = true;
      }
      const color = legibleColor(s.color);
      const opacity = s.alpha !== undefined ? ` stroke-opacity="${s.alpha}"` : '';
      const dashes = dash[k] ? ` stroke-dasharray="${dash[k].join(' ')}"` : '';
      parts.push(`<path class="series" data-label="${escapeXml(s.label)}" d="${d || 'M0,0'}" fill="none" stroke="${color}"${opacity} stroke-width="${s.width ?? 2}"${dashes} stroke-linejoin="round"/>`);
    });
    for (const line of this.lines) {
      const y = Y(line.value);
      parts.push(`<line class="reference" x1="${left}" y1="${y}" x2="${left + width}" y2="${y}" stroke="${line.color}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    }
    parts.push('</g><g class="legend">');
    for (const { x, y, entry } of placed) {
      const cy = titleHeight + u.height + 10 + y;
      if (entry.band) parts.push(`<rect x="${x}" y="${cy - 6}" width="24" height="12" fill="${entry.color}"/>`);
      else parts.push(`<line x1="${x}" y1="${cy}" x2="${x + 24}" y2="${cy}" stroke="${entry.color}" stroke-width="2.5"${entry.dash ? ` stroke-dasharray="${entry.dash.join(' ')}"` : ''}/>`);
      parts.push(`<text x="${x + 30}" y="${cy}" dy="0.35em" fill="#1d2327">${escapeXml(entry.label)}</text>`);
    }
    parts.push('</g></svg>');
    return parts.join('');
  }

  downloadSvg() {
    saveBlob(new Blob([this.svgText()], { type: 'image/svg+xml' }), `${fileName(this.label)}.svg`);
  }
}

// A small line in the series' colour and dash, for its legend entry.
function swatch(color, dash, width) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'legend-line-swatch');
  svg.setAttribute('width', '28');
  svg.setAttribute('height', '10');
  svg.setAttribute('viewBox', '0 0 28 10');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const line = document.createElementNS(ns, 'line');
  for (const [name, value] of [['x1', 1], ['y1', 5], ['x2', 27], ['y2', 5], ['stroke', color], ['stroke-width', Math.max(2.5, width)]]) {
    line.setAttribute(name, String(value));
  }
  if (dash) line.setAttribute('stroke-dasharray', dash.map((d) => Math.max(1, d * 0.8)).join(' '));
  svg.append(line);
  return svg;
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// The powers of ten from `min` to `max`: a log axis's only grid lines.
function powersOfTen(min, max) {
  const out = [];
  for (let e = Math.ceil(Math.log10(min) - 1e-9); e <= Math.floor(Math.log10(max) + 1e-9); e += 1) out.push(Number(`1e${e}`));
  return out;
}

// Dashed horizontal lines at `lines[i].value`, from the left to the right
// end of the plot, under the cursor.
function drawLines(u, lines) {
  if (lines.length === 0) return;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineWidth = 1.5 * uPlot.pxRatio;
  ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
  for (const line of lines) {
    const y = Math.round(u.valToPos(line.value, 'y', true)) + 0.5;
    ctx.strokeStyle = line.color;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
  }
  ctx.restore();
}

// The days of each period, shaded over the whole height under the grid and
// the lines (lightly, so that overlapping periods still show the lines), or
// (`lanes`) as a solid strip of its own along the top of the plot, over
// everything. A day d covers d - 0.5 to d + 0.5.
function drawPeriods(u, periods, lanes) {
  if (periods.length === 0) return;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const lane = Math.max(3, Math.min(6, Math.floor(height / 40 / Math.max(1, periods.length)))) * uPlot.pxRatio;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  periods.forEach((period, i) => {
    for (const [first, last] of period.ranges || []) {
      const x0 = Math.max(left, u.valToPos(first - 0.5, 'x', true));
      const x1 = Math.min(left + width, u.valToPos(last + 0.5, 'x', true));
      if (!(x1 > x0)) continue;
      if (lanes) {
        ctx.fillStyle = withAlpha(period.color, 0.85);
        ctx.fillRect(x0, top + i * lane, x1 - x0, lane);
      } else {
        ctx.fillStyle = withAlpha(period.color, 0.12);
        ctx.fillRect(x0, top, x1 - x0, height);
      }
    }
  });
  ctx.restore();
}

// uPlot's points.filter: the indexes of values with no value on either side.
function isolatedPoints(u, seriesIndex, show) {
  if (show) return null;
  const values = u.data[seriesIndex];
  const missing = (i) => i < 0 || i >= values.length || values[i] === null || values[i] === undefined;
  const out = [];
  for (let i = 0; i < values.length; i += 1) {
    if (!missing(i) && missing(i - 1) && missing(i + 1)) out.push(i);
  }
  return out.length ? out : null;
}

// Integers 0..n-1 as the x column.
export function dayAxis(n) {
  return Array.from({ length: n }, (_, i) => i);
}
