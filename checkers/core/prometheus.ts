// The Prometheus text exposition format (version 0.0.4, what promhttp serves to a scraper that
// does not ask for OpenMetrics), parsed the way Prometheus reads it, and a scrape helper.
// https://prometheus.io/docs/instrumenting/exposition_formats/
//
//   # HELP http_requests_total Requests answered.        (escapes in the text: \\ and \n)
//   # TYPE http_requests_total counter                   (counter, gauge, histogram, summary, untyped)
//   http_requests_total{route="/orders",code="200"} 37   (label values escape \\, \" and \n)
//   http_request_duration_seconds_bucket{le="+Inf"} 37 1700000000000   (optional timestamp, ms)
//
// A histogram family `x` has the samples x_bucket{le=...}, x_sum and x_count; a summary has
// x{quantile=...}, x_sum and x_count. A sample whose family had no TYPE line is untyped.
// The parser never throws: lines it cannot read are reported in `errors` with their number.
import { httpRequest } from './http/conn.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'gaugehistogram' | 'info' | 'stateset';

export interface Sample {
  /** the sample's own name (http_request_duration_seconds_bucket), not the family's */
  name: string;
  labels: Record<string, string>;
  value: number;
  /** ms since the epoch, when the line carries one */
  timestamp?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

export interface Exposition {
  families: Map<string, MetricFamily>;
  /** `line N: reason`, for each line that is not valid text format */
  errors: string[];
}

const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'gaugehistogram', 'info', 'stateset']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** The sample-name suffixes that belong to a family of each type. */
const SUFFIXES: Partial<Record<MetricType, string[]>> = {
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  counter: ['_total', '_created'],
  info: ['_info'],
};

export function parsePrometheusText(text: string): Exposition {
  const families = new Map<string, MetricFamily>();
  const errors: string[] = [];
  /** families that already had a sample (a TYPE line after them is an error) */
  const sampled = new Set<string>();

  const familyOf = (sampleName: string): MetricFamily => {
    const exact = families.get(sampleName);
    if (exact) return exact;
    for (const [type, suffixes] of Object.entries(SUFFIXES)) {
      for (const suffix of suffixes!) {
        if (!sampleName.endsWith(suffix)) continue;
        const f = families.get(sampleName.slice(0, -suffix.length));
        if (f && f.type === type) return f;
      }
    }
    const f: MetricFamily = { name: sampleName, type: 'untyped', samples: [] };
    families.set(sampleName, f);
    return f;
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!.replace(/\r$/, '');
    if (!line.trim()) continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name!) || NAME.exec(name!)![0] !== name) {
        errors.push(`line ${n}: invalid metric name ${JSON.stringify(name)} in # ${kind}`);
        continue;
      }
      let f = families.get(name!);
      if (kind === 'HELP') {
        if (f?.help !== undefined) errors.push(`line ${n}: second HELP for ${name}`);
        f ??= { name: name!, type: 'untyped', samples: [] };
        f.help = unescapeHelp(rest);
        families.set(name!, f);
      } else {
        const type = rest.trim() as MetricType;
        if (!TYPES.has(type)) {
          errors.push(`line ${n}: unknown type ${JSON.stringify(rest.trim())} for ${name}`);
          continue;
        }
        if (sampled.has(name!)) errors.push(`line ${n}: TYPE for ${name} comes after its samples`);
        if (f && f.type !== 'untyped' && f.samples.length === 0 && f.type !== type) errors.push(`line ${n}: second TYPE for ${name}`);
        f ??= { name: name!, type, samples: [] };
        f.type = type;
        families.set(name!, f);
      }
      continue;
    }
    const parsed = parseSampleLine(line);
    if (typeof parsed === 'string') {
      errors.push(`line ${n}: ${parsed}: ${JSON.stringify(line.length > 120 ? line.slice(0, 120) + '...' : line)}`);
      continue;
    }
    const f = familyOf(parsed.name);
    sampled.add(f.name);
    f.samples.push(parsed);
  }
  return { families, errors };
}

/** One sample line; a string is the reason it is not one. */
export function parseSampleLine(line: string): Sample | string {
  let rest = line.trimStart();
  let name = '';
  const labels: Record<string, string> = {};
  const nm = NAME.exec(rest);
  if (nm) {
    name = nm[0];
    rest = rest.slice(name.length);
  } else if (!rest.startsWith('{')) return 'no metric name';
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    let first = true;
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith('}')) {
        rest = rest.slice(1);
        break;
      }
      let key: string;
      if (rest.startsWith('"')) {
        // a quoted name (UTF-8 names): the metric name when it stands alone, else a label name
        const q = readQuoted(rest);
        if (typeof q === 'string') return q;
        rest = q.rest.trimStart();
        if (first && !name && (rest.startsWith(',') || rest.startsWith('}'))) {
          name = q.value;
          if (rest.startsWith(',')) rest = rest.slice(1);
          first = false;
          continue;
        }
        key = q.value;
      } else {
        const lm = LABEL_NAME.exec(rest);
        if (!lm) return 'invalid label name';
        key = lm[0];
        rest = rest.slice(key.length).trimStart();
      }
      if (!rest.startsWith('=')) return `label ${key} has no "="`;
      rest = rest.slice(1).trimStart();
      if (!rest.startsWith('"')) return `label ${key}: value not quoted`;
      const v = readQuoted(rest);
      if (typeof v === 'string') return `label ${key}: ${v}`;
      if (key in labels) return `label ${key} repeated`;
      labels[key] = v.value;
      rest = v.rest.trimStart();
      first = false;
      if (rest.startsWith(',')) {
        rest = rest.slice(1);
        continue;
      }
      if (!rest.startsWith('}')) return 'expected "," or "}" after a label';
    }
  }
  if (!name) return 'no metric name';
  if (!/^[ \t]/.test(rest)) return 'no value';
  const parts = rest.trim().split(/[ \t]+/);
  if (parts.length < 1 || parts.length > 2 || !parts[0]) return 'expected a value and an optional timestamp';
  const value = parseValue(parts[0]);
  if (value === undefined) return `invalid value ${JSON.stringify(parts[0])}`;
  const sample: Sample = { name, labels, value };
  if (parts[1] !== undefined) {
    if (!/^-?\d+$/.test(parts[1])) return `invalid timestamp ${JSON.stringify(parts[1])}`;
    sample.timestamp = Number(parts[1]);
  }
  return sample;
}

function readQuoted(s: string): { value: string; rest: string } | string {
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return { value: out, rest: s.slice(i + 1) };
    if (c === '\\') {
      const e = s[++i];
      if (e === 'n') out += '\n';
      else if (e === '\\') out += '\\';
      else if (e === '"') out += '"';
      else return `invalid escape \\${e ?? ''}`;
      continue;
    }
    out += c;
  }
  return 'unterminated quoted string';
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(n|\\)/g, (_, e: string) => (e === 'n' ? '\n' : '\\'));
}

/** Go's strconv.ParseFloat spellings that Prometheus accepts: decimals, exponents, NaN, ±Inf. */
export function parseValue(s: string): number | undefined {
  if (/^[+-]?inf(inity)?$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?0x[0-9a-f]+$/i.test(s)) return undefined;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

// ---- reading families ------------------------------------------------------------------------

/** A stable key for a set of labels (sorted by name). */
export function labelKey(labels: Record<string, string>, only?: string[]): string {
  const keys = (only ?? Object.keys(labels)).slice().sort();
  return JSON.stringify(keys.map((k) => [k, labels[k] ?? '']));
}

/** The samples named exactly `name` summed by the values of the labels in `by` (others summed over). */
export function sumBy(family: MetricFamily | undefined, by: string[], name = family?.name): Map<string, { labels: Record<string, string>; value: number }> {
  const out = new Map<string, { labels: Record<string, string>; value: number }>();
  for (const s of family?.samples ?? []) {
    if (s.name !== name) continue;
    const labels = Object.fromEntries(by.map((k) => [k, s.labels[k] ?? '']));
    const key = labelKey(labels);
    const cur = out.get(key);
    if (cur) cur.value += s.value;
    else out.set(key, { labels, value: s.value });
  }
  return out;
}

export interface HistogramSeries {
  labels: Record<string, string>;
  /** cumulative counts by upper bound, ascending; the last one is +Inf when the family has it */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
  /** problems with how the buckets are written (a bucket without le, an unparsable le) */
  problems: string[];
}

/**
 * A histogram family's series grouped by the labels in `by`, every other label summed over
 * (bucket by bucket: cumulative counts of the same `le` add up), as PromQL's `sum by (...)` does.
 */
export function histogramsBy(family: MetricFamily | undefined, by: string[]): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  if (!family) return out;
  const get = (labels: Record<string, string>) => {
    const picked = Object.fromEntries(by.map((k) => [k, labels[k] ?? '']));
    const key = labelKey(picked);
    let h = out.get(key);
    if (!h) out.set(key, (h = { labels: picked, buckets: [], sum: 0, count: 0, problems: [] }));
    return h;
  };
  const byLe = new Map<HistogramSeries, Map<number, number>>();
  for (const s of family.samples) {
    const h = get(s.labels);
    if (s.name === `${family.name}_sum`) h.sum += s.value;
    else if (s.name === `${family.name}_count`) h.count += s.value;
    else if (s.name === `${family.name}_bucket`) {
      const le = s.labels.le === undefined ? undefined : parseValue(s.labels.le);
      if (le === undefined || Number.isNaN(le)) {
        h.problems.push(`a _bucket sample with ${s.labels.le === undefined ? 'no le label' : `le="${s.labels.le}"`}`);
        continue;
      }
      let m = byLe.get(h);
      if (!m) byLe.set(h, (m = new Map()));
      m.set(le, (m.get(le) ?? 0) + s.value);
    }
  }
  for (const [h, m] of byLe) h.buckets = [...m].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
  return out;
}

/** The bucket layout problems Prometheus' histogram_quantile would trip on. */
export function histogramProblems(h: HistogramSeries): string[] {
  const problems = [...h.problems];
  const inf = h.buckets.find((b) => b.le === Infinity);
  if (!inf) problems.push('no le="+Inf" bucket');
  else if (inf.count !== h.count) problems.push(`le="+Inf" bucket is ${inf.count} but _count is ${h.count}`);
  for (let i = 1; i < h.buckets.length; i++) {
    if (h.buckets[i]!.count < h.buckets[i - 1]!.count) {
      problems.push(`buckets are not cumulative: le="${fmtLe(h.buckets[i]!.le)}" (${h.buckets[i]!.count}) < le="${fmtLe(h.buckets[i - 1]!.le)}" (${h.buckets[i - 1]!.count})`);
      break;
    }
  }
  return problems;
}

export function fmtLe(le: number): string {
  return le === Infinity ? '+Inf' : String(le);
}

// ---- scraping --------------------------------------------------------------------------------

export interface Scrape {
  ok: boolean;
  status?: number;
  contentType?: string;
  text: string;
  exposition: Exposition;
  /** transport error, or a non-200 status */
  error?: string;
  ms: number;
}

/** GET `path` (default /metrics) as a Prometheus server does (text format 0.0.4, no compression). */
export async function scrape(host: string, port: number, opts: { path?: string; timeoutMs?: number } = {}): Promise<Scrape> {
  const r = await httpRequest(host, port, { path: opts.path ?? '/metrics', headers: { Accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' } }, opts.timeoutMs ?? 3000);
  const text = r.response?.body.toString('utf8') ?? '';
  const status = r.response?.status;
  return {
    ok: r.ok && status === 200,
    status,
    contentType: r.response?.headers['content-type'],
    text,
    exposition: parsePrometheusText(r.ok ? text : ''),
    ...(r.ok ? (status === 200 ? {} : { error: `answered ${status}` }) : { error: r.error ?? 'no answer' }),
    ms: r.ms,
  };
}
