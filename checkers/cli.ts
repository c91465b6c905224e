// The `labs` command: list, check, verify. Exit 0 pass, 1 fail, 2 usage or environment error.
import { Command, CommanderError } from 'commander';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAllLabs, loadLab, ManifestError, UnknownLabError, chapters, type Lab } from './core/manifest.js';
import { consoleReporter } from './core/report/console.js';
import { toJUnit } from './core/report/junit.js';
import { toMarkdown } from './core/report/markdown.js';
import { runCheck, type ServerRuntime, type Target } from './core/runner.js';
import { runCheckSettled, verifyLab, type LabVerification } from './core/verify.js';
import type { CheckEvent, Verdict } from './core/verdict.js';

class UsageError extends Error {}

const runtimeHelp = 'native (default): build and run with your Go; wasm: build for js/wasm and run it under Node, as the browser runtime does';

function parseRuntime(value: string | undefined): ServerRuntime {
  if (value === undefined || value === 'native') return 'native';
  if (value === 'wasm') return 'wasm';
  throw new UsageError(`--runtime ${value}: use native or wasm`);
}

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
  .option('--markdown <file>', 'also write a Markdown summary (for a CI job summary)')
  .option('--logs', "show the server's output as it runs")
  .option('--runtime <runtime>', runtimeHelp)
  .action(async (id: string, o: { dir?: string; overlay?: string; solution?: boolean; json?: boolean; events?: boolean; junit?: string; markdown?: string; logs?: boolean; runtime?: string }) => {
    if ([o.dir, o.solution, o.overlay].filter(Boolean).length > 1) throw new UsageError('use one of --dir, --solution, --overlay');
    const runtime = parseRuntime(o.runtime);
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
    const verdict = await runCheck({ lab, target, sink, ...(runtime === 'wasm' ? { runtime } : {}) });
    if (o.json) process.stdout.write(JSON.stringify(verdict, null, 2) + '\n');
    if (o.junit) writeFileSync(o.junit, toJUnit([verdict]));
    if (o.markdown) writeFileSync(o.markdown, toMarkdown([verdict]));
    process.exitCode = exitCodeFor(verdict);
  });

program
  .command('verify [labs...]')
  .description('every starter fails for exactly its starterFails probes, every solution passes')
  .option('--json', 'print the results as JSON')
  .option('--junit <file>', 'write a JUnit XML report of every check')
  .option('-q, --quiet', 'one line per lab')
  .option('--runtime <runtime>', runtimeHelp)
  .action(async (ids: string[], o: { json?: boolean; junit?: string; quiet?: boolean; runtime?: string }) => {
    const runtime = parseRuntime(o.runtime);
    const labs: Lab[] = ids.length ? ids.map((id) => loadLab(id)) : loadAllLabs();
    const results: LabVerification[] = [];
    const t0 = Date.now();
    for (const lab of labs) {
      const sink = o.json || o.quiet ? undefined : consoleReporter();
      const r = await verifyLab(lab, { sink, ...(runtime === 'wasm' ? { runtime } : {}) });
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

program
  .command('grade')
  .description('grade every lab found in a submission (a fork of this course, or one lab module)')
  .option('--repo <dir>', 'the submission: a directory with labs/<id>/ modules, or one lab module', '.')
  .option('--labs <ids>', 'only these labs (comma-separated)')
  .option('--out <dir>', 'write results.json, junit.xml and summary.md here')
  .option('--timeout <seconds>', 'stop grading after this long (every unfinished lab fails)', '900')
  .action(async (o: { repo: string; labs?: string; out?: string; timeout: string }) => {
    const repo = resolve(o.repo);
    if (!existsSync(repo) || !statSync(repo).isDirectory()) throw new UsageError(`--repo ${o.repo}: no such directory`);
    const catalogue = loadAllLabs();
    const only = o.labs ? o.labs.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    for (const id of only ?? []) loadLab(id);
    const jobs: { lab: Lab; dir: string }[] = [];
    const single = join(repo, 'lab.json');
    if (existsSync(join(repo, 'go.mod')) && existsSync(single)) {
      const id = JSON.parse(readFileSync(single, 'utf8')).id as string;
      jobs.push({ lab: loadLab(id), dir: repo });
    } else {
      for (const lab of catalogue) {
        const dir = join(repo, 'labs', lab.id);
        if (existsSync(join(dir, 'go.mod')) && (!only || only.includes(lab.id))) jobs.push({ lab, dir });
      }
    }
    if (!jobs.length) throw new UsageError(`no lab found in ${repo} (expected labs/<id>/go.mod, or a lab module with lab.json)`);
    const deadline = AbortSignal.timeout(Number(o.timeout) * 1000);
    const verdicts: Verdict[] = [];
    for (const { lab, dir } of jobs) {
      const v = await runCheckSettled({ lab, target: { kind: 'dir', dir, label: dir }, sink: consoleReporter(), signal: deadline }, () =>
        process.stdout.write(`  … ${lab.id}: a measurement was inconclusive (the machine was too busy); checking once more\n`),
      );
      verdicts.push(v);
    }
    const md = toMarkdown(verdicts);
    if (o.out) {
      mkdirSync(o.out, { recursive: true });
      writeFileSync(join(o.out, 'results.json'), JSON.stringify(verdicts, null, 2) + '\n');
      writeFileSync(join(o.out, 'junit.xml'), toJUnit(verdicts));
      writeFileSync(join(o.out, 'summary.md'), md);
    }
    process.stdout.write('\n' + md);
    process.exitCode = verdicts.some((v) => v.error?.kind === 'environment') ? 2 : verdicts.every((v) => v.passed || v.status === 'skipped') ? 0 : 1;
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
