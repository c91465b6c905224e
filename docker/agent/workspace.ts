// Workspaces: one copy of a lab's starter per learner, <root>/<learner>/<lab>/, made on first use.
// Reset keeps a copy of the old one (<lab>.backup-<timestamp>) and puts the starter back.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { learnerIdPattern } from './auth.js';
import { listLabIds, loadLab, type Lab } from '../../checkers/core/manifest.js';
import { HttpError } from './respond.js';

/** A lab id as the manifest schema allows it; checked before the id reaches a path. */
export const labIdPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Starter files the learner's module does not need: the manifest and the lessons (testdata kept). */
export function isLessonFile(rel: string): boolean {
  if (rel === 'lab.json') return true;
  return rel.toLowerCase().endsWith('.md') && !rel.split('/').includes('testdata');
}

export class Workspaces {
  constructor(
    /** WORKSPACES_DIR */
    readonly root: string,
    /** where the labs live (tests point this at fixtures) */
    readonly labsRoot?: string,
  ) {
    mkdirSync(root, { recursive: true });
  }

  /** The lab, or HttpError 404 (also for ids that are not lab ids at all). */
  lab(id: string): Lab {
    if (!labIdPattern.test(id)) throw new HttpError(404, `there is no lab "${id}"`);
    try {
      return this.labsRoot ? loadLab(id, this.labsRoot) : loadLab(id);
    } catch (err) {
      if ((err as Error).name === 'UnknownLabError') throw new HttpError(404, (err as Error).message);
      throw err;
    }
  }

  labIds(): string[] {
    return this.labsRoot ? listLabIds(this.labsRoot) : listLabIds();
  }

  private learnerDir(learner: string): string {
    if (!learnerIdPattern.test(learner)) throw new HttpError(400, `bad learner id "${learner}"`);
    return join(this.root, learner);
  }

  /** The path of a learner's workspace for a lab, without creating it. */
  pathOf(learner: string, lab: Lab): string {
    return join(this.learnerDir(learner), lab.id);
  }

  /** The learner's workspace for the lab, copied from the starter on first use. */
  ensure(learner: string, lab: Lab): string {
    const dir = this.pathOf(learner, lab);
    if (existsSync(dir)) return dir;
    mkdirSync(this.learnerDir(learner), { recursive: true });
    // Copy into a temp name, then rename: a crash half-way never leaves a half workspace.
    const tmp = `${dir}.creating-${process.pid}-${Date.now()}`;
    copyStarter(lab, tmp);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another request created it first: keep theirs.
      if (!existsSync(dir)) throw err;
    }
    return dir;
  }

  /**
   * Copies the workspace to <lab>.backup-<timestamp>, then replaces its contents with the starter.
   * The directory itself stays (same inode), so an open terminal's working directory stays valid.
   * Returns the backup's name ("" when there was nothing to back up).
   */
  reset(learner: string, lab: Lab): { backup: string; dir: string } {
    const dir = this.pathOf(learner, lab);
    if (!existsSync(dir)) return { backup: '', dir: this.ensure(learner, lab) };
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '$1Z');
    let backup = `${lab.id}.backup-${stamp}`;
    for (let n = 2; existsSync(join(this.learnerDir(learner), backup)); n++) backup = `${lab.id}.backup-${stamp}-${n}`;
    cpSync(dir, join(this.learnerDir(learner), backup), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
    copyStarter(lab, dir);
    return { backup, dir };
  }
}

function copyStarter(lab: Lab, into: string): void {
  cpSync(lab.dir, into, {
    recursive: true,
    force: true,
    filter: (src) => {
      const rel = relative(lab.dir, src).split(sep).join('/');
      return rel === '' || !isLessonFile(rel);
    },
  });
}
