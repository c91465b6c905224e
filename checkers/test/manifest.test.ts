import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAllLabs, loadLab, ManifestError, parseManifest } from '../core/manifest.js';
import { runCli } from './helpers.js';
import { checkersDir } from '../core/paths.js';

const valid = {
  id: 'demo',
  chapter: 1,
  order: 1,
  title: { en: 'Demo', 'zh-CN': '演示' },
  summary: { en: 'A demo.', 'zh-CN': '一个演示。' },
  runtimes: ['docker'],
  kernel: false,
  files: ['main.go'],
  starterFails: ['serves'],
  hints: [{ en: 'Look.', 'zh-CN': '看。' }],
};

function failure(source: string, id?: string): ManifestError {
  try {
    parseManifest('labs/demo/lab.json', source, id);
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError);
    return err as ManifestError;
  }
  throw new Error('expected a ManifestError');
}

/** Temp lab roots made by these tests, removed afterwards. */
const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'ghl-manifest-'));
  roots.push(root);
  return root;
}
afterAll(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('lab manifest', () => {
  it('accepts a valid manifest', () => {
    expect(parseManifest('x', JSON.stringify(valid)).id).toBe('demo');
  });

  it('names the file, the field and the reason', () => {
    const e = failure(JSON.stringify({ ...valid, chapter: 'one' }));
    expect(e.file).toBe('labs/demo/lab.json');
    expect(e.field).toBe('chapter');
    expect(e.reason).toMatch(/number/i);
    expect(e.message).toBe(`labs/demo/lab.json: chapter: ${e.reason}`);
  });

  it('reports nested fields, missing fields and unknown fields', () => {
    expect(failure(JSON.stringify({ ...valid, title: { en: 'Demo' } })).field).toBe('title.zh-CN');
    const { hints: _h, ...noHints } = valid;
    expect(failure(JSON.stringify(noHints)).field).toBe('hints');
    expect(failure(JSON.stringify({ ...valid, colour: 'red' })).reason).toMatch(/colour/);
    expect(failure(JSON.stringify({ ...valid, starterFails: ['Bad Id'] })).field).toBe('starterFails.0');
    expect(failure(JSON.stringify({ ...valid, runtimes: ['cloud'] })).field).toBe('runtimes.0');
  });

  it('reports invalid JSON and an id that does not match the folder', () => {
    expect(failure('{ "id": ').reason).toMatch(/not valid JSON/);
    expect(failure(JSON.stringify(valid), 'other').field).toBe('id');
  });

  it('checks that the listed files exist', () => {
    const root = tempRoot();
    mkdirSync(join(root, 'demo'));
    writeFileSync(join(root, 'demo', 'lab.json'), JSON.stringify(valid));
    expect(() => loadLab('demo', root)).toThrow(/files: lists "main.go"/);
  });

  it('every lab in the repository has a valid manifest, a lesson in both languages and a solution', () => {
    const labs = loadAllLabs();
    expect(labs.length).toBeGreaterThanOrEqual(3);
    for (const lab of labs) {
      for (const f of ['README.md', 'README.zh-CN.md', 'go.mod']) expect(existsSync(join(lab.dir, f)), `${lab.id}/${f}`).toBe(true);
      expect(readFileSync(join(lab.dir, 'go.mod'), 'utf8'), `${lab.id}/go.mod pins Go 1.26`).toMatch(/^go 1\.26(\.\d+)?$/m);
      expect(existsSync(lab.solutionDir), `solutions/${lab.id}`).toBe(true);
      expect(existsSync(join(checkersDir, `${lab.id}.ts`)), `checkers/${lab.id}.ts`).toBe(true);
      const zh = readFileSync(join(lab.dir, 'README.zh-CN.md'), 'utf8');
      expect(/[\u4e00-\u9fff]/.test(zh), `${lab.id}: the Chinese lesson is in Chinese`).toBe(true);
    }
  });

  it('the CLI turns a malformed manifest into exit code 2 with file, field and reason', async () => {
    const root = tempRoot();
    mkdirSync(join(root, 'demo'));
    writeFileSync(join(root, 'demo', 'main.go'), 'package main\n');
    writeFileSync(join(root, 'demo', 'lab.json'), JSON.stringify({ ...valid, kernel: 'yes' }));
    const r = await runCli(['check', 'demo'], { LABS_DIR: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(root, 'demo', 'lab.json')}: kernel: Expected boolean`);
  });
});
