// The course outline: chapters, their labs in order, and chapter 5's reading pages.
// Pure: the pages feed it what the content collections hold.
import type { LabManifest } from '../schemas/lab.js';
import { type Locale, localePath, pick } from '../i18n/locales.js';

export interface ChapterTitle {
  n: number;
  en: string;
  'zh-CN': string;
}

export interface ReadingMeta {
  slug: string;
  chapter: number;
  order: number;
  title: string;
  description: string;
  /** false when the page exists only in the other language (shown from it) */
  translated: boolean;
}

export interface CourseLab {
  id: string;
  chapter: number;
  order: number;
  title: string;
  summary: string;
  runtimes: LabManifest['runtimes'];
  kernel: boolean;
  href: string;
}

export interface CourseReading extends ReadingMeta {
  href: string;
}

export interface CourseChapter {
  n: number;
  title: string;
  labs: CourseLab[];
  readings: CourseReading[];
}

export function labHref(locale: Locale, id: string): string {
  return localePath(locale, `/labs/${id}/`);
}

export function readingHref(locale: Locale, slug: string): string {
  return localePath(locale, `/reading/${slug}/`);
}

export function buildCourse(input: {
  chapters: readonly ChapterTitle[];
  labs: LabManifest[];
  readings: ReadingMeta[];
  locale: Locale;
}): CourseChapter[] {
  const { locale } = input;
  const labs = input.labs
    .slice()
    .sort((a, b) => a.chapter - b.chapter || a.order - b.order || a.id.localeCompare(b.id))
    .map<CourseLab>((l) => ({
      id: l.id,
      chapter: l.chapter,
      order: l.order,
      title: pick(l.title, locale),
      summary: pick(l.summary, locale),
      runtimes: l.runtimes,
      kernel: l.kernel,
      href: labHref(locale, l.id),
    }));
  const readings = input.readings
    .slice()
    .sort((a, b) => a.chapter - b.chapter || a.order - b.order || a.slug.localeCompare(b.slug))
    .map<CourseReading>((r) => ({ ...r, href: readingHref(locale, r.slug) }));
  return input.chapters.map((c) => ({
    n: c.n,
    title: pick(c, locale),
    labs: labs.filter((l) => l.chapter === c.n),
    readings: readings.filter((r) => r.chapter === c.n),
  }));
}

/** The labs and reading pages in course order, for previous / next links. */
export function sequence(course: CourseChapter[]): { href: string; title: string; key: string }[] {
  return course.flatMap((c) => [
    ...c.labs.map((l) => ({ href: l.href, title: l.title, key: `lab:${l.id}` })),
    ...c.readings.map((r) => ({ href: r.href, title: r.title, key: `reading:${r.slug}` })),
  ]);
}

export function neighbours(course: CourseChapter[], key: string) {
  const seq = sequence(course);
  const i = seq.findIndex((s) => s.key === key);
  return { previous: i > 0 ? seq[i - 1] : undefined, next: i >= 0 && i < seq.length - 1 ? seq[i + 1] : undefined };
}

/**
 * Which reading pages a locale shows: its own, plus the other language's pages it lacks
 * (marked untranslated), so a page written in one language is never missing from the other.
 */
export function readingsFor<T extends { locale: Locale; slug: string }>(all: T[], locale: Locale): (T & { translated: boolean })[] {
  const own = all.filter((r) => r.locale === locale);
  const slugs = new Set(own.map((r) => r.slug));
  const borrowed = all.filter((r) => r.locale !== locale && !slugs.has(r.slug));
  const seen = new Set<string>();
  return [...own.map((r) => ({ ...r, translated: true })), ...borrowed.map((r) => ({ ...r, translated: false }))].filter((r) => {
    if (seen.has(r.slug)) return false;
    seen.add(r.slug);
    return true;
  });
}
