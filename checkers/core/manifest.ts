// The lab manifest: labs/<id>/lab.json, one schema, one loader.
// A malformed manifest fails with the file, the field and the reason.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { labsDir, solutionsDir } from './paths.js';

const text = z.string().trim().min(1);
const localized = z.object({ en: text, 'zh-CN': text }).strict();
const probeId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'probe ids are lower-case words joined by "-"');

export const chapters = [
  { n: 1, en: 'Blind spots where the OS, the runtime and the network meet', 'zh-CN': '操作系统、运行时与网络交汇处的盲区' },
  { n: 2, en: 'The hidden limits of net/http defaults', 'zh-CN': 'net/http 默认配置的隐性瓶颈' },
  { n: 3, en: 'The Go runtime and the HTTP lifecycle', 'zh-CN': 'Go 运行时与 HTTP 生命周期' },
  { n: 4, en: 'Alternatives and the faults between services', 'zh-CN': '替代方案与服务间的故障' },
  { n: 5, en: 'From one service to an elastic system', 'zh-CN': '从单个服务到弹性架构' },
] as const;

export const labManifestSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lab ids are lower-case words joined by "-"'),
    chapter: z.number().int().min(1).max(chapters.length),
    order: z.number().int().min(1),
    title: localized,
    summary: localized,
    /** browser: runs as WebAssembly in a WebContainer; docker: native Go (CLI, CI, agent, Docker image). */
    runtimes: z.array(z.enum(['browser', 'docker'])).min(1),
    /** needs the kernel tooling (network namespace, nftables, sysctls): root or CAP_NET_ADMIN. */
    kernel: z.boolean(),
    /** the Go package to build, relative to the lab directory. */
    entry: z.string().default('.'),
    /** files the learner is expected to edit, shown first in the workspace. */
    files: z.array(z.string().min(1)).min(1),
    /** probes that must fail on the starter (and only these). */
    starterFails: z.array(probeId).min(1),
    hints: z.array(localized).min(1),
    /** why the lab cannot run in the browser, when `browser` is missing from runtimes. */
    browserNote: localized.optional(),
  })
  .strict();

export type LabManifest = z.infer<typeof labManifestSchema>;

export interface Lab extends LabManifest {
  /** absolute path of the starter module (labs/<id>) */
  dir: string;
  /** absolute path of the solution overlay (solutions/<id>) */
  solutionDir: string;
}

export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field}: ${reason}`);
    this.name = 'ManifestError';
  }
}

/** Parses one manifest; throws ManifestError naming the file, the field and the reason. */
export function parseManifest(file: string, source: string, expectedId?: string): LabManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(source);
  } catch (err) {
    throw new ManifestError(file, '(file)', `not valid JSON: ${(err as Error).message}`);
  }
  const parsed = labManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    throw new ManifestError(file, field, issue.message);
  }
  if (expectedId && parsed.data.id !== expectedId) {
    throw new ManifestError(file, 'id', `is "${parsed.data.id}" but the folder is "${expectedId}"`);
  }
  return parsed.data;
}

export function loadLab(id: string, root = labsDir): Lab {
  const dir = join(root, id);
  const file = join(dir, 'lab.json');
  if (!existsSync(file)) throw new UnknownLabError(id, listLabIds(root));
  const manifest = parseManifest(file, readFileSync(file, 'utf8'), id);
  for (const f of manifest.files) {
    if (!existsSync(join(dir, f))) throw new ManifestError(file, 'files', `lists "${f}", which is not in ${dir}`);
  }
  return { ...manifest, dir, solutionDir: join(solutionsDir, id) };
}

export function listLabIds(root = labsDir): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory() && existsSync(join(root, d, 'lab.json')));
}

/** Every lab, in course order (chapter, then order). */
export function loadAllLabs(root = labsDir): Lab[] {
  return listLabIds(root)
    .map((id) => loadLab(id, root))
    .sort((a, b) => a.chapter - b.chapter || a.order - b.order || a.id.localeCompare(b.id));
}

export class UnknownLabError extends Error {
  constructor(
    readonly id: string,
    readonly known: string[],
  ) {
    super(`there is no lab "${id}"; known labs: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownLabError';
  }
}
