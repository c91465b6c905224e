// Generates the `go build -overlay` file for GOOS=js GOARCH=wasm builds, and copies the pinned
// wasm_exec.js, into runtime/dist:
//
//   runtime/dist/overlay.json        {"Replace": {"<GOROOT>/src/net/net_node_js.go": "<dist>/overlay/net/net_node_js.go", ...}}
//   runtime/dist/overlay/...         every file the JSON points at (self-contained: dist can be mounted elsewhere)
//   runtime/dist/wasm_exec.js        from <GOROOT>/lib/wasm, the JS half of the js/wasm port
//
// The go command needs absolute paths, so the JSON is written for one GOROOT and one location
// of dist; `gorootAs`/`distAs` write it for another place (a WebContainer's file system).
// Files are rewritten only when their content changes (idempotent; Go's cache keys on content).
//
//   npx tsx runtime/overlay/generate.ts [--goroot DIR] [--out DIR]
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const overlaySrc = dirname(fileURLToPath(import.meta.url));
export const runtimeDir = resolve(overlaySrc, '..');
export const defaultDistDir = join(runtimeDir, 'dist');

/** The Go release the patched files were made from. */
export const PINNED_GO = 'go1.26';

/**
 * Originals that the overlay patches or derives from, with the sha256 they had when the patch
 * was written. A different file means a different Go: the patch must be ported, not applied blind.
 */
const ORIGINALS: Record<string, string> = {
  'src/net/net_fake.go': '784b369c57be52fa87ace5f10e07e3c24b45d549639e1487734b793024188df3',
};

/** Files added to (or replacing files of) the standard library, relative to runtime/overlay. */
const ADDED: { pkg: string; file: string }[] = [
  { pkg: 'net', file: 'net_fake_js.go' },
  { pkg: 'net', file: 'net_node_js.go' },
  { pkg: 'runtime', file: 'sigqueue_node_js.go' },
  { pkg: 'os/signal', file: 'signal_node_js.go' },
];

export interface OverlayOptions {
  /** the Go root whose std is overlaid (default: `go env GOROOT`) */
  goroot?: string;
  /** where to write (default runtime/dist) */
  outDir?: string;
  /** the Go root as the go command that uses the JSON sees it (default: goroot) */
  gorootAs?: string;
  /** outDir as the go command that uses the JSON sees it (default: outDir) */
  distAs?: string;
}

export interface OverlayResult {
  overlayJson: string;
  wasmExec: string;
  /** sha256 over every overlay file's path and content: a cache key for builds made with it */
  hash: string;
  /** the Go version of goroot */
  goVersion: string;
}

export class OverlayError extends Error {}

export function goRoot(): string {
  const go = process.env.GO ?? 'go';
  for (const candidate of [go, '/usr/local/go/bin/go']) {
    const r = spawnSync(candidate, ['env', 'GOROOT'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  throw new OverlayError('the Go toolchain was not found (needed to generate the js/wasm overlay): install Go 1.26');
}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function writeIfChanged(file: string, content: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file)) {
    const old = readFileSync(file);
    if (Buffer.compare(old, Buffer.isBuffer(content) ? content : Buffer.from(content)) === 0) return;
  }
  writeFileSync(file, content);
}

/** net_fake.go for wasip1 only: on js our patched copy (net_fake_js.go) replaces it. */
export function wasip1NetFake(original: string): string {
  const from = '//go:build js || wasip1\n';
  if (!original.includes(from)) throw new OverlayError('net_fake.go has no "//go:build js || wasip1" line: port the overlay to this Go');
  return original.replace(from, '//go:build wasip1\n');
}

/**
 * js/wasm declares no signals (_NSIG = 0), so the runtime's signal queue, which os/signal's
 * Notify reads, has no room: give it the 65 slots os/signal counts with, so that signals Node
 * receives can be queued (runtime/sigqueue_node_js.go) and read back as on any other port.
 */
export function wasmSignalSlots(osWasm: string): string {
  const from = '\nconst _NSIG = 0\n';
  if (!osWasm.includes(from)) throw new OverlayError('runtime/os_wasm.go has no "const _NSIG = 0" line: port the overlay to this Go');
  return osWasm.replace(from, '\n// Go HA Labs: room for the signals Node delivers (runtime/sigqueue_node_js.go).\nconst _NSIG = 65\n');
}

/**
 * syscall for js numbers its few signals 1 to 6 (SIGTERM is 6) and names none of them
 * ("signal 6"). Number and name them as Linux does, so that the launcher can hand over
 * SIGHUP/SIGINT/SIGTERM by their real numbers and a program that prints a signal prints
 * "terminated" as natively.
 */
export function linuxSignals(syscallJs: string): string {
  const constFrom = 'const (\n\t_ Signal = iota\n\tSIGCHLD\n\tSIGINT\n\tSIGKILL\n\tSIGTRAP\n\tSIGQUIT\n\tSIGTERM\n)\n';
  const namesFrom = 'var signals = [...]string{}\n';
  if (!syscallJs.includes(constFrom) || !syscallJs.includes(namesFrom)) throw new OverlayError('syscall/syscall_js.go has other signals: port the overlay to this Go');
  const linux: [string, number, string][] = [
    ['SIGHUP', 1, 'hangup'],
    ['SIGINT', 2, 'interrupt'],
    ['SIGQUIT', 3, 'quit'],
    ['SIGTRAP', 5, 'trace/breakpoint trap'],
    ['SIGKILL', 9, 'killed'],
    ['SIGUSR1', 10, 'user defined signal 1'],
    ['SIGUSR2', 12, 'user defined signal 2'],
    ['SIGPIPE', 13, 'broken pipe'],
    ['SIGTERM', 15, 'terminated'],
    ['SIGCHLD', 17, 'child exited'],
  ];
  const consts = `// Go HA Labs: Linux's numbers and names (the launcher delivers SIGHUP, SIGINT and SIGTERM).\nconst (\n${linux.map(([n, v]) => `\t${n} Signal = ${v}`).join('\n')}\n)\n`;
  const names = `var signals = [...]string{\n${linux.map(([, v, name]) => `\t${v}: ${JSON.stringify(name)},`).join('\n')}\n}\n`;
  return syscallJs.replace(constFrom, consts).replace(namesFrom, names);
}

/**
 * syscall's error strings for js start with a capital ("Connection refused"); Linux's do not
 * ("connection refused"). Lower-case the first letter so that errors read as natively.
 */
export function linuxErrorStrings(tablesJs: string): string {
  const start = tablesJs.indexOf('var errorstr = [...]string{');
  if (start < 0) throw new OverlayError('syscall/tables_js.go has no errorstr table: port the overlay to this Go');
  const end = tablesJs.indexOf('\n}', start);
  const table = tablesJs.slice(start, end).replace(/(:\s+")([A-Z])([a-z])/g, (_m, pre: string, first: string, next: string) => pre + first.toLowerCase() + next);
  return tablesJs.slice(0, start) + table + tablesJs.slice(end);
}

export function generateOverlay(opts: OverlayOptions = {}): OverlayResult {
  const goroot = resolve(opts.goroot ?? goRoot());
  const outDir = resolve(opts.outDir ?? defaultDistDir);
  const gorootAs = opts.gorootAs ?? goroot;
  const distAs = opts.distAs ?? outDir;

  const versionFile = join(goroot, 'VERSION');
  const goVersion = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').split('\n')[0]!.trim() : 'unknown';
  if (goVersion !== PINNED_GO && !goVersion.startsWith(`${PINNED_GO}.`)) {
    throw new OverlayError(`the js/wasm overlay was made for ${PINNED_GO}, but ${goroot} is ${goVersion}: use Go 1.26`);
  }
  for (const [rel, want] of Object.entries(ORIGINALS)) {
    const got = sha256(readFileSync(join(goroot, rel)));
    if (got !== want) throw new OverlayError(`${rel} of ${goVersion} differs from the one the overlay patches (sha256 ${got}): port runtime/overlay`);
  }

  const replace: Record<string, string> = {};
  const hash = createHash('sha256');
  const put = (pkg: string, file: string, content: string) => {
    const target = join(outDir, 'overlay', pkg, file);
    writeIfChanged(target, content);
    replace[`${gorootAs}/src/${pkg}/${file}`] = `${distAs}/overlay/${pkg}/${file}`;
    hash.update(`${pkg}/${file}\0${content}\0`);
  };

  for (const { pkg, file } of ADDED) put(pkg, file, readFileSync(join(overlaySrc, pkg, file), 'utf8'));
  put('net', 'net_fake.go', wasip1NetFake(readFileSync(join(goroot, 'src/net/net_fake.go'), 'utf8')));
  put('runtime', 'os_wasm.go', wasmSignalSlots(readFileSync(join(goroot, 'src/runtime/os_wasm.go'), 'utf8')));
  put('syscall', 'syscall_js.go', linuxSignals(readFileSync(join(goroot, 'src/syscall/syscall_js.go'), 'utf8')));
  put('syscall', 'tables_js.go', linuxErrorStrings(readFileSync(join(goroot, 'src/syscall/tables_js.go'), 'utf8')));

  const overlayJson = join(outDir, 'overlay.json');
  writeIfChanged(overlayJson, JSON.stringify({ Replace: replace }, null, 2) + '\n');

  const wasmExec = join(outDir, 'wasm_exec.js');
  writeIfChanged(wasmExec, readFileSync(join(goroot, 'lib/wasm/wasm_exec.js')));

  const digest = hash.digest('hex');
  writeIfChanged(join(outDir, 'overlay.sha256'), digest + '\n');
  return { overlayJson, wasmExec, hash: digest, goVersion };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  try {
    const r = generateOverlay({ goroot: opt('--goroot'), outDir: opt('--out') });
    process.stdout.write(`overlay for ${r.goVersion}: ${r.overlayJson} (sha256 ${r.hash.slice(0, 12)}), ${r.wasmExec}\n`);
  } catch (err) {
    process.stderr.write(`runtime overlay: ${(err as Error).message}\n`);
    process.exit(2);
  }
}
