// Reads the content collections for the pages (build time only).
import { getCollection, type CollectionEntry } from 'astro:content';
import { chapters } from '../schemas/lab.js';
import { parseLessonId } from '../schemas/lesson.js';
import { parseReadingId } from '../schemas/reading.js';
import { type Locale, locales } from '../i18n/locales.js';
import { buildCourse, readingsFor, type CourseChapter } from './course.js';

export type LabEntry = CollectionEntry<'labs'>;
export type LessonEntry = CollectionEntry<'lessons'>;
export type ReadingEntry = CollectionEntry<'reading'>;

export async function allLabs(): Promise<LabEntry[]> {
  return getCollection('labs');
}

async function readingEntries() {
  return (await getCollection('reading')).map((entry) => ({ entry, ...parseReadingId(entry.id) }));
}

export async function loadCourse(locale: Locale): Promise<CourseChapter[]> {
  const labs = await allLabs();
  const readings = readingsFor(await readingEntries(), locale).map((r) => ({
    slug: r.slug,
    chapter: r.entry.data.chapter,
    order: r.entry.data.order,
    title: r.entry.data.title,
    description: r.entry.data.description,
    translated: r.translated,
  }));
  return buildCourse({ chapters, labs: labs.map((l) => l.data), readings, locale });
}

/**
 * The lesson to show for a lab in a locale: its own README, else the other language's
 * (translated: false), else none (the lab has no lesson yet).
 */
export async function findLesson(lab: string, locale: Locale): Promise<{ entry: LessonEntry; translated: boolean } | null> {
  const lessons = (await getCollection('lessons')).filter((l) => parseLessonId(l.id).lab === lab);
  const own = lessons.find((l) => parseLessonId(l.id).locale === locale);
  if (own) return { entry: own, translated: true };
  for (const other of locales) {
    const e = lessons.find((l) => parseLessonId(l.id).locale === other);
    if (e) return { entry: e, translated: false };
  }
  return null;
}

/** Every reading page a locale shows, with its entry (own language or borrowed). */
export async function readingPages(locale: Locale) {
  return readingsFor(await readingEntries(), locale);
}
