// Charts for probes that carry series: uPlot lines over time, histograms as bars.
// Every chart also has its numbers in a table (screen readers, copying).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../../checkers/core/verdict.js';
import type { UiStrings } from '../i18n/ui.js';

const colour = () => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#00758d';
const axisColour = () => getComputedStyle(document.documentElement).getPropertyValue('--fg-muted').trim() || '#57606a';

export function renderCharts(host: HTMLElement, series: Series[], t: UiStrings): void {
  for (const s of series) host.append(chart(s, t, Math.max(240, Math.min(420, host.clientWidth - 16))));
}

function chart(s: Series, t: UiStrings, width: number): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  const caption = document.createElement('figcaption');
  caption.textContent = `${s.name} (${s.yLabel} / ${s.xLabel})`;
  const plot = document.createElement('div');
  plot.setAttribute('role', 'img');
  plot.setAttribute('aria-label', `${s.name}: ${summary(s)}`);
  figure.append(caption, plot, table(s, t));

  const stroke = colour();
  const axis = { stroke: axisColour(), grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.2)' } };
  const histogram = s.kind === 'histogram';
  // Histogram buckets are uneven (HDR): plot them side by side and label each with its bound.
  const xs = histogram ? s.x.map((_, i) => i) : s.x;
  const opts: uPlot.Options = {
    width,
    height: 150,
    legend: { show: false },
    cursor: { show: true, drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [
      { ...axis, label: s.xLabel, size: 36, ...(histogram ? { values: (_u: uPlot, splits: number[]) => splits.map((i) => fmt(s.x[i])) } : {}) },
      { ...axis, label: s.yLabel, size: 48 },
    ],
    series: [
      {},
      histogram
        ? { label: s.name, stroke, fill: `${stroke}99`, paths: uPlot.paths.bars!({ size: [0.8, 48] }), points: { show: false } }
        : { label: s.name, stroke, width: 2, points: { show: s.x.length < 40 } },
    ],
  };
  new uPlot(opts, [xs, s.y], plot);
  return figure;
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '';
  return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(v % 1000 ? 1 : 0)}k` : String(Math.round(v * 100) / 100);
}

function summary(s: Series): string {
  if (!s.y.length) return '0';
  const max = Math.max(...s.y);
  const last = s.y[s.y.length - 1];
  return `max ${fmt(max)}, last ${fmt(last)} ${s.yLabel}`;
}

function table(s: Series, t: UiStrings): HTMLElement {
  const details = document.createElement('details');
  const sum = document.createElement('summary');
  sum.textContent = t.chartData;
  const tbl = document.createElement('table');
  const head = tbl.createTHead().insertRow();
  for (const h of [s.xLabel, s.yLabel]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  const body = tbl.createTBody();
  s.x.forEach((x, i) => {
    const row = body.insertRow();
    row.insertCell().textContent = fmt(x);
    row.insertCell().textContent = fmt(s.y[i]);
  });
  details.append(sum, tbl);
  return details;
}
