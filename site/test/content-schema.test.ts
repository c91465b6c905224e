// The content collections' schemas: lab manifests, lessons, reading pages.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labEntryId, labManifestSchema } from '../schemas/lab.js';
import { lessonId, lessonSchema, parseLessonId } from '../schemas/lesson.js';
import { parseReadingId, readingSchema } from '../schemas/reading.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'labs');

describe('lab manifests', () => {
  it('accepts every fixture lab and keys it by its folder', () => {
    for (const dir of readdirSync(fixtures)) {
      const data = JSON.parse(readFileSync(join(fixtures, dir, 'lab.json'), 'utf8'));
      expect(labManifestSchema.safeParse(data).success, dir).toBe(true);
      expect(labEntryId(`${dir}/lab.json`, data)).toBe(dir);
    }
  });

  it('refuses a manifest whose id is not its folder', () => {
    expect(() => labEntryId('renamed/lab.json', { id: 'slowloris' })).toThrow(/id is "slowloris" but the folder is "renamed"/);
  });

  it('is the checker schema: unknown fields and missing translations fail', () => {
    const good = JSON.parse(readFileSync(join(fixtures, 'fx-alpha', 'lab.json'), 'utf8'));
    expect(labManifestSchema.safeParse({ ...good, colour: 'red' }).success).toBe(false);
    const r = labManifestSchema.safeParse({ ...good, title: { en: 'only English' } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['title', 'zh-CN']);
  });
});

describe('lessons', () => {
  it('maps README files to <lab>/<locale> ids and back', () => {
    expect(lessonId('slowloris/README.md')).toBe('slowloris/en');
    expect(lessonId('slowloris/README.zh-CN.md')).toBe('slowloris/zh-cn');
    expect(parseLessonId('slowloris/zh-cn')).toEqual({ lab: 'slowloris', locale: 'zh-cn' });
  });

  it('refuses other files', () => {
    expect(() => lessonId('slowloris/NOTES.md')).toThrow(/not a lesson file/);
    expect(() => lessonId('slowloris/sub/README.md')).toThrow(/not a lesson file/);
    expect(() => parseLessonId('slowloris/fr')).toThrow();
  });

  it('needs no frontmatter, and allows only title and description', () => {
    expect(lessonSchema.parse({})).toEqual({});
    expect(lessonSchema.parse({ title: 'T', description: 'D' })).toEqual({ title: 'T', description: 'D' });
    expect(lessonSchema.safeParse({ tittle: 'typo' }).success).toBe(false);
    expect(lessonSchema.safeParse({ title: '  ' }).success).toBe(false);
  });
});

describe('reading pages', () => {
  it('defaults to chapter 5 and requires title, description and order', () => {
    expect(readingSchema.parse({ title: 'T', description: 'D', order: 1 })).toEqual({ title: 'T', description: 'D', order: 1, chapter: 5 });
    for (const missing of ['title', 'description', 'order']) {
      const page: Record<string, unknown> = { title: 'T', description: 'D', order: 1 };
      delete page[missing];
      expect(readingSchema.safeParse(page).success, missing).toBe(false);
    }
  });

  it('ids are <locale>/<slug>', () => {
    expect(parseReadingId('en/about')).toEqual({ locale: 'en', slug: 'about' });
    expect(parseReadingId('zh-cn/retries/budgets')).toEqual({ locale: 'zh-cn', slug: 'retries/budgets' });
    expect(() => parseReadingId('about')).toThrow(/not a reading page id/);
    expect(() => parseReadingId('fr/about')).toThrow();
  });

  it('the shipped reading pages have valid frontmatter in both languages', () => {
    const root = join(import.meta.dirname, '..', 'content', 'reading');
    const slugs: Record<string, string[]> = {};
    for (const locale of ['en', 'zh-cn']) {
      slugs[locale] = [];
      for (const file of readdirSync(join(root, locale)).filter((f) => f.endsWith('.md'))) {
        const fm = frontmatter(readFileSync(join(root, locale, file), 'utf8'));
        expect(readingSchema.safeParse(fm).success, `${locale}/${file}`).toBe(true);
        slugs[locale]!.push(file);
      }
    }
    expect(slugs['en']).toContain('about.md');
    expect(slugs['zh-cn']).toContain('about.md');
  });
});

/** Enough YAML for flat frontmatter: `key: value` lines, numbers as numbers. */
function frontmatter(md: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---/.exec(md);
  if (!m) return {};
  const out: Record<string, unknown> = {};
  for (const line of m[1]!.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const v = line.slice(i + 1).trim();
    out[line.slice(0, i).trim()] = /^\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}
