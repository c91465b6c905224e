// A Markdown summary of one or more verdicts, fit for a CI job summary or a PR comment.
import type { Verdict } from '../verdict.js';

const icon = (v: Verdict) => (v.passed ? '✅' : v.status === 'skipped' ? '⏭️' : v.status === 'inconclusive' ? '❔' : '❌');
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(verdicts: Verdict[], title = 'Go HA Labs'): string {
  const passed = verdicts.filter((v) => v.passed).length;
  const lines = [`## ${title}: ${passed} of ${verdicts.length} labs passed`, '', '| lab | result | probes | time |', '|---|---|---|---|'];
  for (const v of verdicts) {
    const ok = v.probes.filter((p) => p.status === 'passed').length;
    const result = v.passed ? 'passed' : v.error ? `${v.status}: ${cell(v.error.message)}` : v.status;
    lines.push(`| \`${v.lab}\` | ${icon(v)} ${result} | ${ok}/${v.probes.length} | ${(v.durationMs / 1000).toFixed(1)} s |`);
  }
  for (const v of verdicts.filter((x) => !x.passed)) {
    const bad = v.probes.filter((p) => p.status === 'failed' || p.status === 'inconclusive');
    if (!bad.length) continue;
    lines.push('', `### \`${v.lab}\``, '');
    for (const p of bad) {
      lines.push(`- **${p.title}** (\`${p.id}\`, ${p.status})`);
      lines.push(`  - expected: ${p.expected}`);
      lines.push(`  - measured: ${p.measured}`);
      lines.push(`  - why: ${p.explanation}`);
      if (p.hint) lines.push(`  - hint: ${p.hint}`);
    }
  }
  return lines.join('\n') + '\n';
}
