// @ts-check
// Go source headers, as go/build reads them: the package clause, the imports (with the position
// go reports for them), //go:build constraints and file-name suffixes, evaluated for GOOS=js
// GOARCH=wasm with cgo disabled. Plain JavaScript: this runs in a WebContainer's Node, no tsx.

/** GOOS values go/build knows (a file named x_<goos>.go is built only for that GOOS). */
export const knownOS = new Set(
  'aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris wasip1 windows zos'.split(' '),
);
/** GOARCH values go/build knows. */
export const knownArch = new Set(
  ('386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32 mips64p32le ' +
    'ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm').split(' '),
);

/**
 * The build context of the browser runtime: GOOS=js GOARCH=wasm, compiler gc, CGO_ENABLED=0,
 * release tags go1.1 .. go1.<minor>. `unix` is false for js, as in go/build.
 * @param {string} goVersion e.g. "go1.26.8"
 * @returns {(tag: string) => boolean}
 */
export function jsWasmTags(goVersion) {
  const minor = Number(/^go1\.(\d+)/.exec(goVersion)?.[1] ?? '0');
  return (tag) => {
    if (tag === 'js' || tag === 'wasm' || tag === 'gc') return true;
    const release = /^go1\.(\d+)$/.exec(tag);
    if (release) return Number(release[1]) <= minor;
    return false;
  };
}

/**
 * Evaluates a //go:build expression (||, &&, !, parentheses, tags).
 * @param {string} expr
 * @param {(tag: string) => boolean} has
 * @returns {boolean}
 */
export function evalBuildExpr(expr, has) {
  const tokens = expr.match(/\|\||&&|!|\(|\)|[A-Za-z0-9_.]+|\S/g) ?? [];
  let i = 0;
  const fail = (/** @type {string} */ why) => {
    throw new Error(`invalid //go:build expression "${expr}": ${why}`);
  };
  /** @returns {boolean} */
  const or = () => {
    let v = and();
    while (tokens[i] === '||') {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  /** @returns {boolean} */
  const and = () => {
    let v = not();
    while (tokens[i] === '&&') {
      i++;
      const r = not();
      v = v && r;
    }
    return v;
  };
  /** @returns {boolean} */
  const not = () => {
    const t = tokens[i++];
    if (t === '!') return !not();
    if (t === '(') {
      const v = or();
      if (tokens[i++] !== ')') fail('missing )');
      return v;
    }
    if (t === undefined || !/^[A-Za-z0-9_.]+$/.test(t)) fail(`unexpected ${t ?? 'end of expression'}`);
    return has(/** @type {string} */ (t));
  };
  const v = or();
  if (i !== tokens.length) fail(`unexpected ${tokens[i]}`);
  return v;
}

/**
 * Whether a file name is built for GOOS=js GOARCH=wasm (go/build's goodOSArchFile), and is not a
 * test, ignored (_x.go, .x.go) or non-Go file.
 * @param {string} name base name
 */
export function goodFileName(name) {
  if (!name.endsWith('.go') || name.startsWith('_') || name.startsWith('.')) return false;
  const stem = name.slice(0, -3);
  if (stem.endsWith('_test')) return false;
  const parts = stem.split('_');
  const n = parts.length;
  // x_GOOS_GOARCH.go, x_GOOS.go, x_GOARCH.go; the first element is never a constraint.
  if (n >= 3 && knownOS.has(parts[n - 2] ?? '') && knownArch.has(parts[n - 1] ?? '')) {
    return parts[n - 2] === 'js' && parts[n - 1] === 'wasm';
  }
  if (n >= 2) {
    const last = parts[n - 1] ?? '';
    if (knownOS.has(last)) return last === 'js';
    if (knownArch.has(last)) return last === 'wasm';
  }
  return true;
}

/**
 * @typedef {{ path: string; line: number; col: number }} ImportSpec
 * @typedef {{
 *   packageName: string | undefined;
 *   imports: ImportSpec[];
 *   goBuild: string | undefined;
 *   plusBuild: string[];
 *   embeds: boolean;
 * }} FileHeader
 */

/**
 * Reads a Go file's header: constraints, package clause, import declarations. Stops at the first
 * other declaration. A header it cannot read yields what it read so far: the compiler reports the
 * syntax error with go's own words.
 * @param {string} src
 * @returns {FileHeader}
 */
export function parseHeader(src) {
  /** @type {FileHeader} */
  const h = { packageName: undefined, imports: [], goBuild: undefined, plusBuild: [], embeds: /^\s*\/\/go:embed\s/m.test(src) };
  readConstraints(src, h);
  const toks = lex(src);
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const skipSemis = () => {
    while (peek()?.kind === ';') i++;
  };
  skipSemis();
  if (peek()?.text !== 'package') return h;
  next();
  const name = next();
  if (name?.kind !== 'ident') return h;
  h.packageName = name.text;
  /** @returns {boolean} */
  const spec = () => {
    let t = peek();
    if (t?.kind === 'ident' || t?.text === '.') {
      next();
      t = peek();
    }
    if (t?.kind !== 'string') return false;
    next();
    h.imports.push({ path: t.value ?? '', line: t.line, col: t.col });
    return true;
  };
  for (;;) {
    skipSemis();
    if (peek()?.text !== 'import') break;
    next();
    if (peek()?.text === '(') {
      next();
      for (;;) {
        skipSemis();
        if (peek()?.text === ')') {
          next();
          break;
        }
        if (!spec()) return h;
      }
    } else if (!spec()) return h;
  }
  return h;
}

/**
 * //go:build and // +build lines in the leading comments, before the package clause.
 * @param {string} src
 * @param {FileHeader} h
 */
function readConstraints(src, h) {
  let inBlock = false;
  for (const raw of src.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line === '') continue;
    if (line.startsWith('/*')) {
      if (!line.includes('*/', 2)) inBlock = true;
      continue;
    }
    if (!line.startsWith('//')) return;
    const goBuild = /^\/\/go:build(\s+(.*))?$/.exec(line);
    if (goBuild) {
      if (h.goBuild !== undefined) throw new Error('multiple //go:build comments');
      h.goBuild = (goBuild[2] ?? '').trim();
      continue;
    }
    const plus = /^\/\/\s*\+build\s+(.*)$/.exec(line);
    if (plus) h.plusBuild.push((plus[1] ?? '').trim());
  }
}

/**
 * Whether the header's constraints hold. //go:build wins over // +build lines, as in go/build.
 * @param {FileHeader} h
 * @param {(tag: string) => boolean} has
 */
export function constraintsHold(h, has) {
  if (h.goBuild !== undefined) return evalBuildExpr(h.goBuild, has);
  return h.plusBuild.every((line) =>
    line.split(/\s+/).some((option) =>
      option.split(',').every((term) => (term.startsWith('!') ? !has(term.slice(1)) : has(term))),
    ),
  );
}

/**
 * @typedef {{ kind: 'ident' | 'string' | ';' | 'op'; text: string; value?: string; line: number; col: number }} Token
 */

/**
 * A Go lexer for the header: identifiers, strings, operators, and automatic semicolons after a
 * line's final identifier, string or closing parenthesis. Columns are 1-based byte offsets, as go prints them.
 * @param {string} src
 * @returns {Token[]}
 */
export function lex(src) {
  /** @type {Token[]} */
  const out = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const col = (/** @type {number} */ at) => Buffer.byteLength(src.slice(lineStart, at)) + 1;
  const newline = (/** @type {number} */ at) => {
    const last = out[out.length - 1];
    if (last && (last.kind === 'ident' || last.kind === 'string' || last.text === ')')) {
      out.push({ kind: ';', text: '\n', line, col: col(at) });
    }
    line++;
    lineStart = at + 1;
  };
  while (i < src.length && out.length < 100_000) {
    const c = src[i];
    if (c === '\n') {
      newline(i);
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      i = end < 0 ? src.length : end;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      let sawNewline = false;
      for (let j = i; j < stop; j++) {
        if (src[j] === '\n') {
          if (!sawNewline) newline(j);
          else {
            line++;
            lineStart = j + 1;
          }
          sawNewline = true;
        }
      }
      i = stop;
    } else if (c === '"' || c === '`') {
      const start = i;
      let value = '';
      i++;
      if (c === '`') {
        const end = src.indexOf('`', i);
        const stop = end < 0 ? src.length : end;
        value = src.slice(i, stop).replace(/\r/g, '');
        const tok = { kind: /** @type {const} */ ('string'), text: src.slice(start, stop + 1), value, line, col: col(start) };
        for (let j = i; j < stop; j++) {
          if (src[j] === '\n') {
            line++;
            lineStart = j + 1;
          }
        }
        out.push(tok);
        i = stop + 1;
      } else {
        while (i < src.length && src[i] !== '"' && src[i] !== '\n') {
          if (src[i] === '\\' && i + 1 < src.length) {
            value += unescape(src[i + 1] ?? '');
            i += 2;
          } else value += src[i++];
        }
        out.push({ kind: 'string', text: src.slice(start, i + 1), value, line, col: col(start) });
        i++;
      }
    } else if (/[\p{L}_]/u.test(c ?? '')) {
      const m = /^[\p{L}\p{N}_]+/u.exec(src.slice(i, i + 256));
      const text = m?.[0] ?? c ?? '';
      out.push({ kind: 'ident', text, line, col: col(i) });
      i += text.length;
    } else {
      out.push({ kind: c === ';' ? ';' : 'op', text: c ?? '', line, col: col(i) });
      i++;
    }
  }
  return out;
}

/** @param {string} c */
function unescape(c) {
  return { n: '\n', t: '\t', '\\': '\\', '"': '"' }[c] ?? c;
}

/**
 * @typedef {{
 *   name: string;
 *   header: FileHeader;
 * }} GoFile
 * @typedef {{
 *   files: GoFile[];
 *   packageName: string | undefined;
 *   ignored: string[];
 *   errors: string[];
 * }} SelectedPackage
 */

/**
 * The files of one package directory that `go build` would compile for js/wasm: .go files that
 * are not tests, whose names and //go:build lines fit js/wasm, and that do not import "C"
 * (cgo is off). `errors` carries go's complaints (mixed package names, bad constraints).
 * Files named on the command line (go run main.go) are all used, constraints or not (go/build's UseAllFiles).
 * @param {{ name: string; source: string }[]} entries the directory's files
 * @param {string} goVersion
 * @param {{ has?: (tag: string) => boolean; useAll?: boolean }} [opts] extra tags (-tags); useAll for named files
 * @returns {SelectedPackage}
 */
export function selectPackageFiles(entries, goVersion, opts = {}) {
  const has = opts.has ?? jsWasmTags(goVersion);
  /** @type {SelectedPackage} */
  const pkg = { files: [], packageName: undefined, ignored: [], errors: [] };
  for (const { name, source } of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!name.endsWith('.go')) continue;
    if (!opts.useAll && !goodFileName(name)) {
      if (!name.endsWith('_test.go')) pkg.ignored.push(name);
      continue;
    }
    let header;
    try {
      header = parseHeader(source);
      if (!opts.useAll && !constraintsHold(header, has)) {
        pkg.ignored.push(name);
        continue;
      }
    } catch (err) {
      pkg.errors.push(`${name}: ${/** @type {Error} */ (err).message}`);
      continue;
    }
    if (!opts.useAll && header.imports.some((s) => s.path === 'C')) {
      pkg.ignored.push(name);
      continue;
    }
    if (header.packageName === 'documentation') continue; // go/build ignores package documentation files
    pkg.files.push({ name, header });
  }
  const names = [...new Set(pkg.files.map((f) => f.header.packageName).filter((n) => n !== undefined))];
  if (names.length > 1) {
    const first = pkg.files.find((f) => f.header.packageName === names[0]);
    const other = pkg.files.find((f) => f.header.packageName === names[1]);
    pkg.errors.push(`found packages ${names[0]} (${first?.name}) and ${names[1]} (${other?.name})`);
  }
  pkg.packageName = names[0];
  return pkg;
}

/**
 * Whether an import path names a standard-library package (its first element has no dot), as cmd/go decides.
 * @param {string} path
 */
export function isStdPath(path) {
  const first = path.split('/')[0] ?? '';
  return !first.includes('.');
}
