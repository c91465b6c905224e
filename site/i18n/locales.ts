// The site's two languages. URLs use "zh-cn"; lab.json and the lesson files use "zh-CN".
export const locales = ['en', 'zh-cn'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'en';

export function isLocale(value: string | undefined): value is Locale {
  return value === 'en' || value === 'zh-cn';
}

/** The key of a localized field in lab.json ({ en, "zh-CN" }). */
export function manifestKey(locale: Locale): 'en' | 'zh-CN' {
  return locale === 'en' ? 'en' : 'zh-CN';
}

/** The value of the html lang attribute. */
export function htmlLang(locale: Locale): string {
  return locale === 'en' ? 'en' : 'zh-CN';
}

/** A path inside the site, for a locale: ("zh-cn", "/labs/x/") -> "/zh-cn/labs/x/". */
export function localePath(locale: Locale, path: string): string {
  const clean = path.startsWith('/') ? path : `/${path}`;
  return locale === defaultLocale ? clean : `/${locale}${clean === '/' ? '/' : clean}`;
}

export function pick<T>(value: { en: T; 'zh-CN': T }, locale: Locale): T {
  return value[manifestKey(locale)];
}
