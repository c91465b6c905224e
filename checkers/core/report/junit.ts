// JUnit XML: one testsuite per lab check, one testcase per probe.
import type { Verdict } from '../verdict.js';

const esc = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

export function toJUnit(verdicts: Verdict[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = verdicts.flatMap((v) => v.probes);
  const failures = all.filter((p) => p.status === 'failed' || p.status === 'inconclusive').length;
  const errors = verdicts.filter((v) => v.error && v.error.kind === 'environment').length;
  const time = verdicts.reduce((t, v) => t + v.durationMs, 0) / 1000;
  out.push(`<testsuites name="go-ha-labs" tests="${all.length + errors}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}">`);
  for (const v of verdicts) {
    const f = v.probes.filter((p) => p.status === 'failed' || p.status === 'inconclusive').length;
    const s = v.probes.filter((p) => p.status === 'skipped').length;
    const envError = v.error && (v.error.kind === 'environment' || v.error.kind === 'skipped');
    out.push(
      `  <testsuite name="${esc(v.lab)}" tests="${v.probes.length + (envError ? 1 : 0)}" failures="${f}" errors="${v.error?.kind === 'environment' ? 1 : 0}" skipped="${s + (v.error?.kind === 'skipped' ? 1 : 0)}" time="${(v.durationMs / 1000).toFixed(3)}">`,
    );
    out.push(`    <properties><property name="target" value="${esc(v.target)}"/><property name="runtime" value="${v.runtime}"/></properties>`);
    if (envError) {
      const tag = v.error!.kind === 'skipped' ? `<skipped message="${esc(v.error!.message)}"/>` : `<error message="${esc(v.error!.message)}"/>`;
      out.push(`    <testcase classname="${esc(v.lab)}" name="check">${tag}</testcase>`);
    }
    for (const p of v.probes) {
      out.push(`    <testcase classname="${esc(v.lab)}" name="${esc(p.id)}: ${esc(p.title)}" time="${(p.durationMs / 1000).toFixed(3)}">`);
      const body = `expected: ${p.expected}\nmeasured: ${p.measured}\nwhy: ${p.explanation}${p.hint ? `\nhint: ${p.hint}` : ''}`;
      if (p.status === 'failed') out.push(`      <failure message="${esc(p.measured)}" type="probe">${esc(body)}</failure>`);
      else if (p.status === 'inconclusive') out.push(`      <failure message="inconclusive: ${esc(p.measured)}" type="inconclusive">${esc(body)}</failure>`);
      else if (p.status === 'skipped') out.push(`      <skipped message="${esc(p.measured)}"/>`);
      else out.push(`      <system-out>${esc(body)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
