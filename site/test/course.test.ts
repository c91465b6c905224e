// The course outline: order, languages, links, previous / next, reading pages.
import { describe, expect, it } from 'vitest';
import { buildCourse, neighbours, readingsFor, type ReadingMeta } from '../lib/course.js';
import { chapters, type LabManifest } from '../schemas/lab.js';
import { localePath } from '../i18n/locales.js';

const lab = (id: string, chapter: number, order: number): LabManifest => ({
  id,
  chapter,
  order,
  title: { en: `${id} title`, 'zh-CN': `${id} 标题` },
  summary: { en: `${id} summary`, 'zh-CN': `${id} 简介` },
  runtimes: ['browser', 'docker'],
  kernel: false,
  entry: '.',
  files: ['main.go'],
  starterFails: ['x'],
  hints: [{ en: 'h', 'zh-CN': '提' }],
});

const reading = (slug: string, order: number): ReadingMeta => ({ slug, chapter: 5, order, title: slug, description: `${slug}.`, translated: true });

describe('buildCourse', () => {
  const labs = [lab('c', 2, 1), lab('b', 1, 2), lab('a', 1, 1), lab('z', 1, 2)];

  it('puts labs in chapter, then order, then id order, and keeps every chapter', () => {
    const course = buildCourse({ chapters, labs, readings: [], locale: 'en' });
    expect(course.map((c) => c.n)).toEqual([1, 2, 3, 4, 5]);
    expect(course[0]!.labs.map((l) => l.id)).toEqual(['a', 'b', 'z']);
    expect(course[1]!.labs.map((l) => l.id)).toEqual(['c']);
    expect(course[4]!.labs).toEqual([]);
  });

  it('speaks the page language and links within it', () => {
    const zh = buildCourse({ chapters, labs, readings: [reading('about', 0)], locale: 'zh-cn' });
    expect(zh[0]!.title).toBe(chapters[0]!['zh-CN']);
    expect(zh[0]!.labs[0]).toMatchObject({ title: 'a 标题', summary: 'a 简介', href: '/zh-cn/labs/a/' });
    expect(zh[4]!.readings[0]!.href).toBe('/zh-cn/reading/about/');
    const en = buildCourse({ chapters, labs, readings: [], locale: 'en' });
    expect(en[0]!.labs[0]!.href).toBe('/labs/a/');
  });

  it('gives previous and next across chapters, reading pages last', () => {
    const course = buildCourse({ chapters, labs, readings: [reading('second', 2), reading('about', 0)], locale: 'en' });
    expect(neighbours(course, 'lab:a').previous).toBeUndefined();
    expect(neighbours(course, 'lab:z').next?.href).toBe('/labs/c/');
    expect(neighbours(course, 'lab:c').next?.href).toBe('/reading/about/');
    expect(neighbours(course, 'reading:second').next).toBeUndefined();
    expect(neighbours(course, 'lab:unknown')).toEqual({ previous: undefined, next: undefined });
  });
});

describe('readingsFor', () => {
  const all = [
    { locale: 'en' as const, slug: 'about' },
    { locale: 'zh-cn' as const, slug: 'about' },
    { locale: 'en' as const, slug: 'only-en' },
  ];
  it('prefers the page language and borrows what is missing', () => {
    const zh = readingsFor(all, 'zh-cn');
    expect(zh).toEqual([
      { locale: 'zh-cn', slug: 'about', translated: true },
      { locale: 'en', slug: 'only-en', translated: false },
    ]);
    expect(readingsFor(all, 'en').every((r) => r.translated)).toBe(true);
  });
});

describe('localePath', () => {
  it('prefixes only the non-default language', () => {
    expect(localePath('en', '/')).toBe('/');
    expect(localePath('zh-cn', '/')).toBe('/zh-cn/');
    expect(localePath('zh-cn', 'labs/x/')).toBe('/zh-cn/labs/x/');
  });
});
