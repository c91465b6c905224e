// Warms the Go module cache and build cache with every lab's starter, solution and test variant,
// so the lab image builds every lab offline and the first check does not compile the standard
// library. Run by docker/Dockerfile at build time.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// Every lab: a manifest and a Go module.
const labs = readdirSync(join(root, 'labs')).filter((d) => existsSync(join(root, 'labs', d, 'go.mod')) && existsSync(join(root, 'labs', d, 'lab.json')));
const go = (dir, args, env = {}) => execFileSync('go', args, { cwd: dir, stdio: 'inherit', env: { ...process.env, GOFLAGS: '-mod=mod', ...env } });
// Labs whose checker builds with the race detector (cgo) get a warmed -race cache too.
const usesRace = (lab) => existsSync(join(root, 'checkers', `${lab}.ts`)) && /race:\s*true/.test(readFileSync(join(root, 'checkers', `${lab}.ts`), 'utf8'));
for (const lab of labs) {
  const overlays = [undefined, join(root, 'solutions', lab)];
  const variants = join(root, 'checkers', 'test', 'variants', lab);
  // Test variants bring their own modules (gorilla for a panic-recovery variant): download those,
  // but build only the starter and the solution (the standard library is the same for all).
  if (existsSync(variants)) for (const v of readdirSync(variants)) overlays.push(join(variants, v));
  for (const overlay of overlays) {
    const dir = mkdtempSync(join(tmpdir(), `warm-${lab}-`));
    cpSync(join(root, 'labs', lab), dir, { recursive: true });
    if (overlay && existsSync(overlay)) cpSync(overlay, dir, { recursive: true, force: true });
    execFileSync('go', ['mod', 'download'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
    const variant = overlay && overlay.includes(join('checkers', 'test', 'variants'));
    if (!variant) go(dir, ['build', '-o', join(dir, 'server'), '.'], { CGO_ENABLED: '0' });
    if (!overlay && usesRace(lab)) go(dir, ['build', '-race', '-o', join(dir, 'server'), '.'], { CGO_ENABLED: '1' });
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`warm: ${lab}`);
}
