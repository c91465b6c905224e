// The WebContainer's working directory, laid out on this disk by the same functions the glue uses
// (site/runtime/browser/layout.ts, site/lib/runtime-assets.mjs), so that everything under the glue
// runs for real under plain Node: the `go` wrapper, the toolchain shim, the launcher, the bundled
// checker. Used by site/test/container-layout.test.ts and site/bench/browser-runtime.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileBytes } from '../runtime/browser/assets.js';
import { binWrapper, paths, type Spawn } from '../runtime/browser/layout.js';
import { labBundle, labsDirs, runtimeAssetFiles, manifestOf } from '../lib/runtime-assets.mjs';

/** Why the layout cannot be made (the runtime is not built), or null. */
export function layoutUnavailable(): string | null {
  const m = manifestOf(runtimeAssetFiles());
  return m.built ? null : `the browser runtime is not built (missing ${m.missing.join(', ')}): npm run runtime:build`;
}

/** Writes <workdir>/runtime (the site's /runtime/ files), bin/go, bin/gofmt and work/<lab> (the starter, or the solution). */
export function writeContainerLayout(workdir: string, lab: string, variant: 'starter' | 'solution' = 'starter'): void {
  for (const f of runtimeAssetFiles()) {
    const to = join(workdir, paths.runtime, ...f.path.split('/'));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f.from, to);
  }
  mkdirSync(join(workdir, paths.bin), { recursive: true });
  for (const name of ['go', 'gofmt'] as const) writeFileSync(join(workdir, paths.bin, name), binWrapper(name), { mode: 0o755 });
  const bundle = labBundle(labsDirs(), lab);
  const files = new Map(bundle.starter.map((f) => [f.path, f]));
  if (variant === 'solution') for (const f of bundle.solution) files.set(f.path, f);
  for (const f of files.values()) {
    const to = join(workdir, paths.labDir(lab), ...f.path.split('/'));
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, fileBytes(f));
  }
}

/**
 * Runs a spawn description as the container would: cwd relative to the workdir, the description's
 * environment only (PATH without any host Go), HOME in the workdir. `node` is this Node.
 */
export function spawnInLayout(workdir: string, s: Spawn, extraEnv: Record<string, string> = {}): ChildProcess {
  const command = s.command === 'node' ? process.execPath : s.command;
  const env = { ...s.options.env, PATH: `${s.options.env.PATH}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: workdir, ...extraEnv };
  return spawn(command, s.args, { cwd: join(workdir, s.options.cwd), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/** Kills a process group started by spawnInLayout (detached: its own group). */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
