// What the lesson page tells the workspace about its lab (a JSON script element, no request).
import type { Locale } from '../i18n/locales.js';

export interface LabData {
  id: string;
  locale: Locale;
  title: string;
  /** files the learner is expected to edit, in the order lab.json gives */
  files: string[];
  runtimes: ('browser' | 'docker')[];
  kernel: boolean;
}
