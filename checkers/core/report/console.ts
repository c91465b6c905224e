// Live console progress: a line per probe as it runs, the details of every failure.
import type { CheckEvent, EventSink, ProbeResult, Verdict } from '../verdict.js';

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = paint('32');
const red = paint('31');
const yellow = paint('33');
const dim = paint('2');
const bold = paint('1');

const mark: Record<ProbeResult['status'], string> = {
  passed: green('✓'),
  failed: red('✗'),
  inconclusive: yellow('?'),
  skipped: dim('-'),
};

export function consoleReporter(write: (s: string) => void = (s) => process.stdout.write(s), opts: { serverLogs?: boolean } = {}): EventSink {
  let running = '';
  const clear = () => {
    if (tty && running) write('\r\x1b[2K');
    running = '';
  };
  return (e: CheckEvent) => {
    switch (e.type) {
      case 'check-start':
        write(`${bold(e.lab)} ${dim(`(${e.target}, ${e.probes.length} probes)`)}\n`);
        break;
      case 'phase':
        if (e.phase === 'build' || e.phase === 'start' || e.phase === 'namespace') write(dim(`  ${e.message}\n`));
        break;
      case 'probe-start':
        clear();
        running = e.title;
        write(tty ? `  ${dim('…')} ${e.title}` : `  … ${e.title}\n`);
        break;
      case 'probe-progress':
        if (tty && running) write(`\r\x1b[2K  ${dim('…')} ${running} ${dim(`— ${e.message}`)}`);
        break;
      case 'probe-end':
        clear();
        write(formatProbe(e.result));
        break;
      case 'server-log':
        if (opts.serverLogs) write(dim(`  | ${e.line}\n`));
        break;
      case 'check-end':
        clear();
        write(formatSummary(e.verdict));
        break;
    }
  };
}

export function formatProbe(r: ProbeResult): string {
  const head = `  ${mark[r.status]} ${r.title} ${dim(`[${r.id}]`)}`;
  if (r.status === 'passed') return `${head} ${dim(`— ${r.measured}`)}\n`;
  if (r.status === 'skipped') return `${head} ${dim(r.measured)}\n`;
  const lines = [head, `      expected: ${r.expected}`, `      measured: ${r.measured}`, `      why:      ${r.explanation}`];
  if (r.hint) lines.push(`      hint:     ${r.hint}`);
  return lines.join('\n') + '\n';
}

export function formatSummary(v: Verdict): string {
  const secs = (v.durationMs / 1000).toFixed(1);
  if (v.error && v.error.kind !== 'build' && v.error.kind !== 'start') {
    return `  ${v.status === 'skipped' ? yellow('SKIPPED') : red('ERROR')} ${v.error.message}${v.error.command ? `\n  run it with: ${v.error.command}` : ''}\n`;
  }
  const counts = (s: ProbeResult['status']) => v.probes.filter((p) => p.status === s).length;
  const word = v.passed ? green('PASS') : v.status === 'inconclusive' ? yellow('INCONCLUSIVE, retry') : red('FAIL');
  const extra = [counts('inconclusive') && `${counts('inconclusive')} inconclusive`, counts('skipped') && `${counts('skipped')} skipped`].filter(Boolean);
  return `  ${word} ${v.lab}: ${counts('passed')} passed, ${counts('failed')} failed${extra.length ? ', ' + extra.join(', ') : ''} ${dim(`(${secs} s)`)}\n`;
}
