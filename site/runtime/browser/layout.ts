// Where things live inside the WebContainer, and the commands the browser runtime spawns.
// The container's working directory mirrors the repository, so the relative paths the runtime's
// own files use (runtime/launcher -> runtime/dist/wasm_exec.js, the checker's repo root) hold:
//
//   <workdir>/runtime/...        the site's /runtime/ assets (toolchain, launcher, dist/, checker.mjs)
//   <workdir>/bin/go, bin/gofmt  wrappers that run runtime/toolchain/go.mjs (on the shell's PATH)
//   <workdir>/work/<lab>/        the learner's copy of a lab (mirrored in the browser's storage)
import type { FileSystemTree } from '@webcontainer/api';

export const workdirName = 'goha';
/** the lab server's address for Run (the lessons' curl commands use 8080) */
export const runPort = 8080;
/** the admin listener (pprof, expvar) of the labs that have one */
export const adminPort = 6060;

export const paths = {
  runtime: 'runtime',
  goShim: 'runtime/toolchain/go.mjs',
  gofmtShim: 'runtime/toolchain/gofmt.mjs',
  checker: 'runtime/dist/checker.mjs',
  bin: 'bin',
  labDir: (lab: string) => `work/${lab}`,
};

export interface Spawn {
  command: string;
  args: string[];
  options: { cwd: string; env: Record<string, string>; terminal?: { cols: number; rows: number }; output?: boolean };
}

/** PATH for everything we spawn: our bin first (go, gofmt), then the container's own. */
export function searchPath(workdir: string, containerPath: string): string {
  return [`${workdir}/${paths.bin}`, containerPath].filter(Boolean).join(':');
}

/** The learner's shell in the lab's folder, sized like the terminal. */
export function terminalSpawn(workdir: string, containerPath: string, lab: string, size: { cols: number; rows: number }): Spawn {
  return {
    command: 'jsh',
    args: [],
    options: {
      cwd: paths.labDir(lab),
      env: { PATH: searchPath(workdir, containerPath), ADDR: `127.0.0.1:${runPort}`, ADMIN_ADDR: `127.0.0.1:${adminPort}` },
      terminal: { cols: size.cols, rows: size.rows },
    },
  };
}

/** Run: `go run .` through the shim, on the lesson's port, with the admin listener. */
export function runSpawn(workdir: string, containerPath: string, lab: string): Spawn {
  return {
    command: 'node',
    args: [`${workdir}/${paths.goShim}`, 'run', '.'],
    options: {
      cwd: paths.labDir(lab),
      env: { PATH: searchPath(workdir, containerPath), ADDR: `127.0.0.1:${runPort}`, ADMIN_ADDR: `127.0.0.1:${adminPort}` },
    },
  };
}

/** Check: the bundled checker on the learner's folder, built and run by the in-browser toolchain, as JSON lines. */
export function checkSpawn(workdir: string, containerPath: string, lab: string): Spawn {
  return {
    command: 'node',
    args: [`${workdir}/${paths.checker}`, 'check', lab, '--dir', `${workdir}/${paths.labDir(lab)}`, '--runtime', 'wasm', '--events'],
    options: {
      cwd: '.',
      env: { PATH: searchPath(workdir, containerPath), GHL_WASM_COMPILER: 'wasm', NO_COLOR: '1' },
      // wide enough that the terminal never wraps an event line
      terminal: { cols: 4096, rows: 24 },
    },
  };
}

/** `go version` through the shim: the toolchain's own answer for the workspace header. */
export function versionSpawn(workdir: string, containerPath: string): Spawn {
  return { command: 'node', args: [`${workdir}/${paths.goShim}`, 'version'], options: { cwd: '.', env: { PATH: searchPath(workdir, containerPath) } } };
}

/** "go version go1.26.3 js/wasm" -> "go1.26.3" */
export function parseGoVersion(output: string): string | null {
  return /\bgo version (go\d+(?:\.\d+)*(?:[a-z]+\d*)?)\b/.exec(output.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, ''))?.[1] ?? null;
}

/**
 * A `go` (or `gofmt`) command for the shell: a Node script that runs the toolchain's shim
 * (runtime/toolchain/go.mjs, gofmt.mjs) in this process, as if `node <shim> ...` had been typed:
 * argv[1] is the shim, one process instead of two.
 */
export function binWrapper(name: 'go' | 'gofmt'): string {
  const shimPath = name === 'go' ? paths.goShim : paths.gofmtShim;
  return [
    '#!/usr/bin/env node',
    `// \`${name}\` in the browser runtime: runs ../${shimPath} (written by the workspace, do not edit).`,
    "const { join } = require('node:path');",
    "const { pathToFileURL } = require('node:url');",
    `const shim = join(__dirname, '..', ${shimPath.split('/').map((s) => JSON.stringify(s)).join(', ')});`,
    'process.argv.splice(1, 1, shim);',
    'import(pathToFileURL(shim).href).catch((err) => {',
    "  process.stderr.write(`${err && err.stack ? err.stack : err}\\n`);",
    '  process.exit(1);',
    '});',
    '',
  ].join('\n');
}

export interface TreeFile {
  /** relative path with "/" separators */
  path: string;
  contents: string | Uint8Array;
}

/** A FileSystemTree (what WebContainer.mount takes) from a flat list of files. */
export function treeFrom(files: TreeFile[]): FileSystemTree {
  const root: FileSystemTree = {};
  for (const f of files) {
    const parts = f.path.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`bad path in the tree: ${f.path}`);
    let dir = root;
    for (const p of parts.slice(0, -1)) {
      const node = (dir[p] ??= { directory: {} });
      if (!('directory' in node)) throw new Error(`${f.path}: ${p} is a file and a folder`);
      dir = node.directory;
    }
    const name = parts[parts.length - 1]!;
    if (dir[name] && 'directory' in dir[name]) throw new Error(`${f.path}: is a folder and a file`);
    dir[name] = { file: { contents: f.contents } };
  }
  return root;
}

/** The bin folder: go and gofmt. */
export function binTree(): FileSystemTree {
  return treeFrom([
    { path: 'go', contents: binWrapper('go') },
    { path: 'gofmt', contents: binWrapper('gofmt') },
  ]);
}
