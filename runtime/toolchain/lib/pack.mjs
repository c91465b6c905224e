// @ts-check
// The precompiled package pack (runtime/dist/toolchain/pack.json + pack/*.a): which packages the
// browser runtime can import, the archives the compiler and linker read, and the import closure
// a program needs (what a WebContainer must have mounted before it links).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {{ file: string; std: boolean; module?: string; imports: string[]; size: number }} PackPackage
 * @typedef {{
 *   format: string;
 *   goVersion: string;
 *   id: string;
 *   overlaySha256?: string;
 *   std: string[];
 *   modules: Record<string, { version: string; sum?: string }>;
 *   packages: Record<string, PackPackage>;
 * }} PackManifest
 * @typedef {PackManifest & { dir: string; stdSet: Set<string> }} Pack
 */

/** @type {Map<string, Pack>} */
const loaded = new Map();

/**
 * @param {string} manifestFile runtime/dist/toolchain/pack.json
 * @returns {Pack}
 */
export function loadPack(manifestFile) {
  let pack = loaded.get(manifestFile);
  if (!pack) {
    if (!existsSync(manifestFile)) {
      throw new Error(`the browser runtime's package pack is missing (${manifestFile}): run npm run runtime:build`);
    }
    const m = /** @type {PackManifest} */ (JSON.parse(readFileSync(manifestFile, 'utf8')));
    // Built natively, the overlay can move on after the pack (runtime/overlay edited, overlay
    // regenerated): archives of the old overlay would run a different net package than the native path.
    const shaFile = join(manifestFile, '..', '..', 'overlay.sha256');
    if (m.overlaySha256 && existsSync(shaFile) && readFileSync(shaFile, 'utf8').trim() !== m.overlaySha256) {
      throw new Error(`the browser runtime's package pack was built with an older runtime overlay (${shaFile} changed): run npm run runtime:build`);
    }
    pack = { ...m, dir: join(manifestFile, '..'), stdSet: new Set(m.std) };
    loaded.set(manifestFile, pack);
  }
  return pack;
}

/**
 * The absolute archive path of a package of the pack.
 * @param {Pack} pack
 * @param {string} importPath
 */
export function archiveOf(pack, importPath) {
  const p = pack.packages[importPath];
  return p ? join(pack.dir, p.file) : undefined;
}

/**
 * Every package of the pack that `roots` need, transitively (roots included when in the pack),
 * plus what the linker always loads (runtime and its dependencies).
 * @param {Pack} pack
 * @param {Iterable<string>} roots
 * @returns {string[]} sorted import paths
 */
export function packClosure(pack, roots) {
  const seen = new Set();
  const stack = [...roots, 'runtime'];
  while (stack.length) {
    const p = /** @type {string} */ (stack.pop());
    if (seen.has(p) || !pack.packages[p]) continue;
    seen.add(p);
    stack.push(...(pack.packages[p]?.imports ?? []));
  }
  return [...seen].sort();
}

/**
 * The module paths of the pack's third-party packages, for a message.
 * @param {Pack} pack
 */
export function packModules(pack) {
  return Object.keys(pack.modules).sort();
}
