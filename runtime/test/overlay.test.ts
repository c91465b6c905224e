// The -overlay generator: what it writes, that it is idempotent, and that it refuses a Go it
// was not made for.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OverlayError, generateOverlay, goRoot, linuxErrorStrings, linuxSignals, wasip1NetFake, wasmSignalSlots } from '../overlay/generate.js';
import { goMissing } from './harness.js';

const missing = goMissing();
const temps: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ghl-overlay-test-'));
  temps.push(d);
  return d;
};
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('overlay transforms', () => {
  it('keeps the original net_fake.go for wasip1 only', () => {
    expect(wasip1NetFake('// x\n\n//go:build js || wasip1\n\npackage net\n')).toBe('// x\n\n//go:build wasip1\n\npackage net\n');
    expect(() => wasip1NetFake('//go:build js\n')).toThrow(OverlayError);
  });

  it('gives the runtime room for 65 signals', () => {
    expect(wasmSignalSlots('a\nconst _NSIG = 0\nb')).toContain('\nconst _NSIG = 65\n');
    expect(() => wasmSignalSlots('const _NSIG = 32\n')).toThrow(OverlayError);
  });

  it('numbers and names signals as Linux does', () => {
    const src = 'const (\n\t_ Signal = iota\n\tSIGCHLD\n\tSIGINT\n\tSIGKILL\n\tSIGTRAP\n\tSIGQUIT\n\tSIGTERM\n)\n\nvar signals = [...]string{}\n';
    const out = linuxSignals(src);
    expect(out).toContain('\tSIGTERM Signal = 15\n');
    expect(out).toContain('\tSIGHUP Signal = 1\n');
    expect(out).toContain('\t15: "terminated",\n');
    expect(() => linuxSignals('const (\n)\n')).toThrow(OverlayError);
  });

  it('lower-cases error strings as Linux spells them', () => {
    const src = 'var errorstr = [...]string{\n\tECONNREFUSED: "Connection refused",\n\tEIO: "I/O error",\n}\n';
    expect(linuxErrorStrings(src)).toBe('var errorstr = [...]string{\n\tECONNREFUSED: "connection refused",\n\tEIO: "I/O error",\n}\n');
  });
});

describe.skipIf(missing)(`overlay generation${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('writes absolute paths that exist, the same bytes twice, and wasm_exec.js', () => {
    const out = temp();
    const first = generateOverlay({ outDir: out });
    const json = JSON.parse(readFileSync(first.overlayJson, 'utf8')) as { Replace: Record<string, string> };
    const goroot = goRoot();
    expect(Object.keys(json.Replace)).toEqual(
      expect.arrayContaining([`${goroot}/src/net/net_node_js.go`, `${goroot}/src/net/net_fake.go`, `${goroot}/src/os/signal/signal_node_js.go`, `${goroot}/src/runtime/os_wasm.go`]),
    );
    for (const [from, to] of Object.entries(json.Replace)) {
      expect(from.startsWith('/')).toBe(true);
      expect(existsSync(to)).toBe(true);
    }
    expect(readFileSync(first.wasmExec, 'utf8')).toBe(readFileSync(join(goroot, 'lib/wasm/wasm_exec.js'), 'utf8'));
    const mtime = statSync(first.overlayJson).mtimeMs;
    const second = generateOverlay({ outDir: out });
    expect(second.hash).toBe(first.hash);
    expect(statSync(second.overlayJson).mtimeMs).toBe(mtime);
  });

  it('writes the JSON for another place when asked (a WebContainer mount)', () => {
    const out = temp();
    const r = generateOverlay({ outDir: out, gorootAs: '/goroot', distAs: '/runtime/dist' });
    const json = JSON.parse(readFileSync(r.overlayJson, 'utf8')) as { Replace: Record<string, string> };
    expect(json.Replace['/goroot/src/net/net_node_js.go']).toBe('/runtime/dist/overlay/net/net_node_js.go');
  });

  it('refuses a Go whose patched file differs', () => {
    const goroot = goRoot();
    const fake = temp();
    mkdirSync(join(fake, 'src/net'), { recursive: true });
    writeFileSync(join(fake, 'VERSION'), readFileSync(join(goroot, 'VERSION')));
    writeFileSync(join(fake, 'src/net/net_fake.go'), '//go:build js || wasip1\n\npackage net\n');
    expect(() => generateOverlay({ goroot: fake, outDir: temp() })).toThrow(/differs from the one the overlay patches/);
    writeFileSync(join(fake, 'VERSION'), 'go1.25.3\n');
    expect(() => generateOverlay({ goroot: fake, outDir: temp() })).toThrow(/made for go1\.26/);
    cpSync(join(goroot, 'VERSION'), join(fake, 'VERSION'));
  });
});
