// The Go toolchain as the agent sees it: found once at start-up (PATH, then /usr/local/go/bin).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';

export interface Toolchain {
  /** the go command (absolute when it could be resolved), or null when Go is missing */
  go: string | null;
  /** "go1.26.8" */
  version: string | null;
  /** $GOROOT/bin: put first on the PATH of terminals */
  binDir: string | null;
  /** the gofmt binary of the same toolchain, or null */
  gofmt: string | null;
}

let cached: Toolchain | undefined;

export function toolchain(): Toolchain {
  cached ??= detect();
  return cached;
}

function detect(): Toolchain {
  const candidates = [process.env.GO, 'go', '/usr/local/go/bin/go'].filter((c): c is string => !!c);
  for (const go of candidates) {
    const r = spawnSync(go, ['env', 'GOROOT', 'GOVERSION'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' }, timeout: 15_000 });
    if (r.status !== 0 || !r.stdout) continue;
    const [goroot, version] = r.stdout.trim().split('\n');
    const binDir = goroot ? join(goroot, 'bin') : isAbsolute(go) ? dirname(go) : null;
    const gofmt = binDir && existsSync(join(binDir, 'gofmt')) ? join(binDir, 'gofmt') : onPath('gofmt');
    const goAbs = binDir && existsSync(join(binDir, 'go')) ? join(binDir, 'go') : go;
    return { go: goAbs, version: version || null, binDir, gofmt };
  }
  return { go: null, version: null, binDir: null, gofmt: onPath('gofmt') };
}

export function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return null;
}

/** PATH with the Go toolchain's bin directory (and GOPATH/bin) first. */
export function pathWithGo(base = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const t = toolchain();
  const extra = [t.binDir, process.env.HOME ? join(process.env.HOME, 'go', 'bin') : null].filter((d): d is string => !!d);
  const parts = [...extra, ...base.split(delimiter)].filter(Boolean);
  return [...new Set(parts)].join(delimiter);
}
