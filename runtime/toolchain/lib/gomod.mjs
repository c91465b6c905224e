// @ts-check
// go.mod and go.sum, read the way the go command needs them for a build: the module path, the go
// line (the compiler's -lang), the requirements (which module provides an import) and the sums
// (for the build info embedded in the binary).

/**
 * @typedef {{ path: string; version: string; indirect: boolean }} Require
 * @typedef {{ from: string; to: string }} Replace
 * @typedef {{ module: string | undefined; go: string | undefined; requires: Require[]; replaces: Replace[] }} GoMod
 */

/**
 * @param {string} text
 * @returns {GoMod}
 */
export function parseGoMod(text) {
  /** @type {GoMod} */
  const mod = { module: undefined, go: undefined, requires: [], replaces: [] };
  /** @type {string | undefined} */
  let block;
  for (const raw of text.split('\n')) {
    const indirect = /\/\/\s*indirect\b/.test(raw);
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    if (block) {
      if (line === ')') {
        block = undefined;
        continue;
      }
      directive(mod, block, splitFields(line), indirect);
      continue;
    }
    const fields = splitFields(line);
    const verb = fields[0] ?? '';
    if (fields[1] === '(' && fields.length === 2) {
      block = verb;
      continue;
    }
    directive(mod, verb, fields.slice(1), indirect);
  }
  return mod;
}

/**
 * @param {GoMod} mod
 * @param {string} verb
 * @param {string[]} args
 * @param {boolean} indirect
 */
function directive(mod, verb, args, indirect) {
  switch (verb) {
    case 'module':
      mod.module = args[0];
      break;
    case 'go':
      mod.go = args[0];
      break;
    case 'require':
      if (args[0] && args[1]) mod.requires.push({ path: args[0], version: args[1], indirect });
      break;
    case 'replace': {
      const arrow = args.indexOf('=>');
      if (arrow > 0) mod.replaces.push({ from: args.slice(0, arrow).join(' '), to: args.slice(arrow + 1).join(' ') });
      break;
    }
    default:
  }
}

/** @param {string} line */
function splitFields(line) {
  return (line.match(/"(?:[^"\\]|\\.)*"|`[^`]*`|\S+/g) ?? []).map((f) =>
    f.startsWith('"') ? JSON.parse(f) : f.startsWith('`') ? f.slice(1, -1) : f,
  );
}

/**
 * The compiler's -lang for a go line: "1.26" and "1.26.0" both give "go1.26"; no go line means go1.16
 * (what cmd/go assumes for a module without one).
 * @param {string | undefined} goLine
 */
export function langVersion(goLine) {
  const m = /^(\d+)\.(\d+)/.exec(goLine ?? '');
  return m ? `go${m[1]}.${m[2]}` : 'go1.16';
}

/**
 * The module of `mods` that provides `importPath` (the longest module path that is a prefix of it).
 * @template {{ path: string }} M
 * @param {string} importPath
 * @param {M[]} mods
 * @returns {M | undefined}
 */
export function providingModule(importPath, mods) {
  let best;
  for (const m of mods) {
    if ((importPath === m.path || importPath.startsWith(m.path + '/')) && (!best || m.path.length > best.path.length)) best = m;
  }
  return best;
}

/**
 * go.sum lines "path version h1:..." for module zips (not the /go.mod lines).
 * @param {string} text
 * @returns {Map<string, string>} "path@version" to the h1 sum
 */
export function parseGoSum(text) {
  const sums = new Map();
  for (const line of text.split('\n')) {
    const [path, version, sum] = line.trim().split(/\s+/);
    if (path && version && sum && !version.endsWith('/go.mod')) sums.set(`${path}@${version}`, sum);
  }
  return sums;
}
