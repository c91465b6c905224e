// The `labs` command: list, check, verify. Exit 0 pass, 1 fail, 2 usage or environment error.
import { Command, CommanderError } from 'commander';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadAllLabs, loadLab, ManifestError, UnknownLabError, chapters, type Lab } from './core/manifest.js';
import { consoleReporter } from './core/report/console.js';
import { toJUnit } from './core/report/junit.js';
import { runCheck, type Target } from './core/runner.js';
import { verifyLab, type LabVerification } from './core/verify.js';
import type { CheckEvent, Verdict } from './core/verdict.js';

class UsageError extends Error {}

const program = new Command('labs')
  .description('Go HA Labs: grade Go HTTP servers against load and fault probes')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('list')
  .description('the labs, in course order')
  .option('--json', 'print JSON')
  .action((o: { json?: boolean }) => {
    const labs = loadAllLabs();
    if (o.json) {
      process.stdout.write(JSON.stringify(labs.map(({ dir, solutionDir, ...m }) => m), null, 2) + '\n');
      return;
    }
    for (const ch of chapters) {
      const inCh = labs.filter((l) => l.chapter === ch.n);
      if (!inCh.length) continue;
      process.stdout.write(`${ch.n}. ${ch.en}\n`);
      for (const l of inCh) {
        const tags = [l.runtimes.includes('browser') ? 'browser' : '', l.kernel ? 'kernel' : ''].filter(Boolean).join(', ');
        process.stdout.write(`   ${l.id.padEnd(24)} ${l.title.en}${tags ? `  (${tags})` : ''}\n`);
      }
    }
  });

program
  .command('check <lab>')
  .description("grade a lab: the starter in labs/<lab> (edit it in place), --dir DIR, or --solution")
  .option('--dir <dir>', 'grade the Go module in this directory')
  .option('--solution', 'grade the reference solution')
  .option('--overlay <dir>', 'grade the starter with the files of DIR laid over it (test variants)')
  .option('--json', 'print the verdict as JSON (no live progress)')
  .option('--events', 'print every check event as a JSON line (for tools)')
  .option('--junit <file>', 'also write a JUnit XML report')
  .option('--logs', "show the server's output as it runs")
  .action(async (id: string, o: { dir?: string; overlay?: string; solution?: boolean; json?: boolean; events?: boolean; junit?: string; logs?: boolean }) => {
    if ([o.dir, o.solution, o.overlay].filter(Boolean).length > 1) throw new UsageError('use one of --dir, --solution, --overlay');
    const lab = loadLab(id);
    let target: Target = { kind: 'starter' };
    if (o.solution) target = { kind: 'solution' };
    if (o.dir) {
      const dir = resolve(o.dir);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--dir ${o.dir}: no such directory`);
      target = { kind: 'dir', dir, label: o.dir };
    }
    if (o.overlay) {
      const dir = resolve(o.overlay);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--overlay ${o.overlay}: no such directory`);
      target = { kind: 'overlay', dir, label: o.overlay };
    }
    const sink = o.events
      ? (e: CheckEvent) => process.stdout.write(JSON.stringify(e) + '\n')
      : o.json
        ? () => {}
        : consoleReporter(undefined, { serverLogs: o.logs });
    const verdict = await runCheck({ lab, target, sink });
    if (o.json) process.stdout.write(JSON.stringify(verdict, null, 2) + '\n');
    if (o.junit) writeFileSync(o.junit, toJUnit([verdict]));
    process.exitCode = exitCodeFor(verdict);
  });

program
  .command('verify [labs...]')
  .description('every starter fails for exactly its starterFails probes, every solution passes')
  .option('--json', 'print the results as JSON')
  .option('--junit <file>', 'write a JUnit XML report of every check')
  .option('-q, --quiet', 'one line per lab')
  .action(async (ids: string[], o: { json?: boolean; junit?: string; quiet?: boolean }) => {
    const labs: Lab[] = ids.length ? ids.map((id) => loadLab(id)) : loadAllLabs();
    const results: LabVerification[] = [];
    const t0 = Date.now();
    for (const lab of labs) {
      const sink = o.json || o.quiet ? undefined : consoleReporter();
      const r = await verifyLab(lab, { sink });
      results.push(r);
      if (!o.json) {
        const secs = ((r.starter.durationMs + r.solution.durationMs) / 1000).toFixed(1);
        const word = r.skipped ? 'SKIP' : r.ok ? 'ok  ' : 'FAIL';
        process.stdout.write(`verify ${word} ${lab.id.padEnd(24)} starter ${(r.starter.durationMs / 1000).toFixed(1)} s, solution ${(r.solution.durationMs / 1000).toFixed(1)} s (${secs} s)\n`);
        for (const p of r.problems) process.stdout.write(`       - ${p}\n`);
        if (r.skipped) process.stdout.write(`       - ${r.starter.error?.message ?? 'skipped'}${r.starter.error?.command ? ` (run: ${r.starter.error.command})` : ''}\n`);
      }
    }
    const failed = results.filter((r) => !r.ok);
    const skipped = results.filter((r) => r.skipped);
    if (o.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    if (o.junit) writeFileSync(o.junit, toJUnit(results.flatMap((r) => [r.starter, r.solution])));
    if (!o.json) {
      process.stdout.write(
        `verify: ${results.length - failed.length - skipped.length} ok, ${failed.length} failed, ${skipped.length} skipped (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
    }
    process.exitCode = failed.length ? 1 : 0;
  });

export function exitCodeFor(v: Verdict): number {
  if (v.passed) return 0;
  if (v.error?.kind === 'environment' || v.error?.kind === 'skipped') return 2;
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError || err instanceof UnknownLabError || err instanceof ManifestError) {
      process.stderr.write(`labs: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`labs: ${(err as Error).stack ?? err}\n`);
    return 2;
  }
}
