// Line charts on top of uPlot (loaded as the global `uPlot` by a classic
// script before the page's module). A chart is a plot with an accessible
// name plus an HTML legend that shows each series' value at the cursor, or
// its latest value when the cursor is elsewhere.

import { el, formatCompact, formatCount } from './app.js';

// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#999933'];

export function withAlpha(hex, alpha) {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

function chartHeight(width) {
  return width < 520 ? 240 : 320;
}

export class LineChart {
  // `root` is an empty element; `label` names the chart for screen readers.
  // `format` writes a value in the legend (default: a whole count).
  constructor(root, { label, xLabel = 'Day', yLabel = 'People', format = formatCount }) {
    this.root = root;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.format = format;
    this.plotHost = el('div', { class: 'chart-plot', role: 'img', 'aria-label': label });
    this.legend = el('ul', { class: 'chart-legend', 'aria-label': `Legend: ${label}` });
    root.replaceChildren(this.plotHost, this.legend);
    this.plot = null;
    this.signature = '';
    this.spec = null;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(root);
  }

  // Draws `spec`: {series: [{label, color, width?, alpha?, legend?, dash?}],
  // data: [xs, ys...] (null = no point), bands?: [{upper, lower, color}]
  // (series indexes, 1-based as in uPlot), xMax?: fixed right end of the
  // x axis, log?: logarithmic y axis, lines?: [{value, label, color}]:
  // dashed horizontal reference lines across the whole plot, in the legend
  // too, periods?: [{label, color, ranges: [[first, last], ...]}]: days
  // shaded behind the lines (one period per timeline item, with a strip of
  // its own along the top and an entry in the legend)}. Rebuilds the plot
  // only when the series change; new data (and longer periods) alone is a
  // cheap update.
  update(spec) {
    const data = spec.log ? spec.data.map((column, i) => (i === 0 ? column : column.map((v) => (v > 0 ? v : null)))) : spec.data;
    const periods = (spec.periods || []).map((period) => [period.label, period.color]);
    const signature = JSON.stringify([spec.series, spec.bands || [], spec.log || false, spec.xMax ?? null, this.yLabel, spec.lines || [], periods]);
    this.spec = { ...spec, data };
    if (!this.plot || signature !== this.signature) {
      this.signature = signature;
      this.build();
    } else {
      this.plot.setData(data);
      this.refreshPeriods();
    }
    this.showValues(null);
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
    const lines = (spec.lines || []).filter((line) => Number.isFinite(line.value) && (!spec.log || line.value > 0));
    const width = Math.max(this.root.clientWidth, 280);
    const options = {
      width,
      height: chartHeight(width),
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: {
        x: {
          time: false,
          range: (u, min, max) => [0, Math.max(spec.xMax ?? 0, max ?? 0, 1)],
        },
        y: spec.log
          ? { distr: 3 }
          : { range: (u, min, max) => [0, Math.max(max ?? 0, ...lines.map((line) => line.value)) * 1.05 || 1] },
      },
      axes: [
        { label: this.xLabel, stroke: '#4b5563', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#d1d5db' } },
        {
          label: this.yLabel,
          stroke: '#4b5563',
          size: 64,
          grid: { stroke: '#e5e7eb' },
          ticks: { stroke: '#d1d5db' },
          values: (u, values) => values.map((v) => (v === null ? '' : formatCompact(v))),
        },
      ],
      series: [
        { label: this.xLabel },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: s.alpha !== undefined ? withAlpha(s.color, s.alpha) : s.color,
          width: s.width ?? 2,
          dash: s.dash,
          // A value with gaps on both sides (an R_t known for one day
          // among unknown ones) has no line to show it: it gets a dot.
          points: { show: false, size: 5, fill: s.alpha !== undefined ? withAlpha(s.color, s.alpha) : s.color, filter: isolatedPoints },
          spanGaps: false,
        })),
      ],
      bands: (spec.bands || []).map((band) => ({ series: [band.upper, band.lower], fill: band.color })),
      hooks: {
        setCursor: [(u) => this.showValues(u.cursor.idx)],
        drawClear: [(u) => drawPeriods(u, this.spec.periods || [], false)],
        draw: [(u) => drawLines(u, lines), (u) => drawPeriods(u, this.spec.periods || [], true)],
      },
    };
    this.plot = new uPlot(options, spec.data, this.plotHost);
    this.buildLegend();
  }

  buildLegend() {
    this.legendValues = [];
    const items = [];
    this.spec.series.forEach((s, i) => {
      if (s.legend === false) return;
      const value = el('span', { class: 'legend-value' });
      this.legendValues.push([i + 1, value]);
      items.push(
        el('li', {},
          el('span', {
            class: `legend-swatch${s.dash ? ' legend-swatch-dashed' : ''}`,
            style: s.dash ? `border-color:${s.color}` : `background:${s.color}`,
            'aria-hidden': 'true',
          }),
          el('span', { class: 'legend-label' }, s.legendLabel || s.label),
          value),
      );
    });
    for (const period of this.spec.periods || []) {
      items.push(el('li', { class: 'legend-period', 'data-period': period.label },
        el('span', { class: 'legend-swatch legend-swatch-period', style: `background:${period.color}`, 'aria-hidden': 'true' }),
        el('span', { class: 'legend-label' }, period.label),
        el('span', { class: 'legend-value' }, period.text || '')));
    }
    for (const line of this.spec.lines || []) {
      items.push(el('li', { class: 'legend-line' },
        el('span', { class: 'legend-swatch legend-swatch-dashed', style: `border-color:${line.color}`, 'aria-hidden': 'true' }),
        el('span', { class: 'legend-label' }, line.label)));
    }
    this.legend.replaceChildren(...items);
  }

  // Values at data index `index`, or each series' latest value when null.
  showValues(index) {
    if (!this.spec || !this.legendValues) return;
    const data = this.spec.data;
    for (const [column, node] of this.legendValues) {
      const values = data[column];
      let at = index;
      if (at === null || at === undefined || at < 0) {
        at = values.length - 1;
        while (at >= 0 && (values[at] === null || values[at] === undefined)) at -= 1;
      }
      const value = at >= 0 ? values[at] : null;
      node.textContent = value === null || value === undefined ? '' : `${this.format(value)} (day ${data[0][at]})`;
    }
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(this.root.clientWidth, 280);
    if (width !== this.plot.width) this.plot.setSize({ width, height: chartHeight(width) });
  }
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
