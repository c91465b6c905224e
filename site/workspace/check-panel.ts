// Renders a CheckState into the Check panel. Rows are keyed by probe id and re-rendered only
// when the reducer produced a new row object, so charts and open disclosures survive updates.
import type { UiStrings } from '../i18n/ui.js';
import { countProbes, type CheckState, type ProbeRow } from './check-state.js';

const icons: Record<ProbeRow['status'], string> = {
  pending: '·',
  running: '…',
  passed: '✓',
  failed: '✗',
  inconclusive: '?',
  skipped: '–',
};

export interface CheckPanelRefs {
  summary: HTMLElement;
  phase: HTMLElement;
  list: HTMLOListElement;
  extra: HTMLElement;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; text?: string } = {}, ...children: Node[]) {
  const e = document.createElement(tag);
  if (props.className) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  e.append(...children);
  return e;
}

export class CheckPanel {
  private readonly rows = new Map<string, { row: ProbeRow; li: HTMLLIElement }>();
  private verdictShown: unknown = null;

  constructor(
    private readonly refs: CheckPanelRefs,
    private readonly t: UiStrings,
  ) {}

  render(state: CheckState): void {
    this.renderSummary(state);
    const seen = new Set<string>();
    let before: Element | null = this.refs.list.firstElementChild;
    for (const row of state.probes) {
      seen.add(row.id);
      let entry = this.rows.get(row.id);
      if (!entry) {
        entry = { row, li: el('li', { className: 'probe' }) };
        this.rows.set(row.id, entry);
        this.fill(entry.li, row);
      } else if (entry.row !== row) {
        entry.row = row;
        this.fill(entry.li, row);
      }
      if (entry.li !== before) this.refs.list.insertBefore(entry.li, before);
      before = entry.li.nextElementSibling;
    }
    for (const [id, entry] of this.rows) {
      if (seen.has(id)) continue;
      entry.li.remove();
      this.rows.delete(id);
    }
    this.renderExtra(state);
  }

  private renderSummary(state: CheckState): void {
    const { t } = this;
    const { summary, phase } = this.refs;
    const c = countProbes(state);
    let text = t.checkIdle;
    let result = '';
    if (state.phase === 'running') text = t.checkStarted;
    if (state.phase === 'stopped') text = t.checkStopped;
    if (state.phase === 'error') {
      text = t.checkError(state.message ?? '');
      result = 'error';
    }
    if (state.phase === 'done' && state.verdict) {
      const v = state.verdict;
      text = v.passed ? t.checkPassed(c.total) : t.checkFailedSummary(c.failed, c.total);
      if (!v.passed && c.failed === 0 && c.inconclusive > 0) text = t.checkInconclusive(c.inconclusive);
      else if (c.inconclusive > 0) text += ` ${t.checkInconclusive(c.inconclusive)}`;
      if (v.error?.kind === 'skipped') text = v.error.message;
      text += ` (${t.duration(v.durationMs)})`;
      result = v.passed ? 'passed' : 'failed';
    }
    summary.textContent = text;
    summary.dataset.result = result;
    phase.textContent = state.phase === 'running' ? (state.message ?? '') : '';
  }

  private fill(li: HTMLLIElement, row: ProbeRow): void {
    const { t } = this;
    li.dataset.status = row.status;
    li.dataset.probe = row.id;
    li.replaceChildren();
    const status = t.probeStatus[row.status];
    li.append(
      el(
        'div',
        { className: 'probe-head' },
        el('span', { className: 'probe-icon', text: icons[row.status] }),
        el('span', { className: 'probe-title', text: row.title }),
        el('span', { className: 'probe-status', text: status }),
      ),
    );
    li.firstElementChild!.firstElementChild!.setAttribute('aria-hidden', 'true');
    if (row.progress) li.append(el('p', { className: 'probe-progress', text: row.progress }));
    const r = row.result;
    if (!r) return;
    const dl = el('dl');
    dl.append(el('dt', { text: t.expected }), el('dd', { text: r.expected }), el('dt', { text: t.measured }), el('dd', { text: r.measured }));
    if (r.explanation) dl.append(el('dt', { text: t.why }), el('dd', { text: r.explanation }));
    li.append(dl);
    if (r.hint && !r.passed) li.append(el('p', { className: 'hint', text: `${t.hintLabel}: ${r.hint}` }));
    if (r.series?.length) {
      const charts = el('div', { className: 'charts' });
      li.append(charts);
      import('./charts.js')
        .then((m) => m.renderCharts(charts, r.series!, t))
        .catch((err) => console.error('charts:', err));
    }
  }

  private renderExtra(state: CheckState): void {
    const marker = state.verdict ?? state.phase;
    if (marker === this.verdictShown && state.phase !== 'running') return;
    this.verdictShown = marker;
    const { extra } = this.refs;
    extra.replaceChildren();
    const details = state.verdict?.error?.details;
    if (details) {
      const d = el('details', { className: 'error-details' }, el('summary', { text: this.t.errorDetails }), el('pre', { text: details }));
      d.open = true;
      extra.append(d);
    }
    if (state.phase !== 'running' && state.serverLog.length) {
      extra.append(el('details', { className: 'error-details' }, el('summary', { text: this.t.serverLogDuringCheck }), el('pre', { text: state.serverLog.join('\n') })));
    }
  }

  reset(): void {
    this.rows.clear();
    this.refs.list.replaceChildren();
    this.refs.extra.replaceChildren();
    this.verdictShown = null;
  }
}
