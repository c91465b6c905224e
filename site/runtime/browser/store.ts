// The learner's files in the browser: one record per lab (path -> contents, mtime), made from the
// starter on first use, kept in IndexedDB so that a reload (or a crashed tab) loses nothing.
// Reset keeps the old files as a named backup, like the agent's <lab>.backup-<timestamp> folders.
// Storage is behind KeyValue: IndexedDB in the browser, localStorage when IndexedDB is missing,
// memory as the last resort (and in tests).
import type { FileEntry } from '../../../docker/agent/protocol.js';

export interface KeyValue {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** every key that starts with `prefix`, sorted */
  keys(prefix: string): Promise<string[]>;
}

export interface StoredFile {
  /** UTF-8 text, or base64 when `binary` */
  contents: string;
  mtimeMs: number;
  /** a binary starter file (testdata): mounted, never listed or edited */
  binary?: true;
}

export interface LabRecord {
  lab: string;
  createdMs: number;
  files: Record<string, StoredFile>;
}

export interface LabFile {
  path: string;
  /** UTF-8 text, or base64 when `binary` */
  contents: string;
  binary?: boolean;
}

/** Backups kept per lab: the oldest go first. */
export const maxBackups = 10;

/** Refuses paths that could name something outside the lab's folder (the agent's rules). */
export function checkPath(path: string): string {
  if (!path) throw new Error('bad path: empty');
  if (path.includes('\0')) throw new Error('bad path: contains a NUL byte');
  if (path.includes('\\')) throw new Error('bad path: contains a backslash');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw new Error('bad path: absolute paths are refused');
  if (path.length > 1024) throw new Error('bad path: too long');
  const parts = path.split('/');
  if (parts.length > 32) throw new Error('bad path: too deep');
  for (const p of parts) {
    if (p === '..') throw new Error('bad path: ".." is refused');
    if (p === '' || p === '.') throw new Error('bad path: empty or "." segment');
  }
  return path;
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class LabStore {
  /** one chain of writes per lab: a record is read, changed and written back whole */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly kv: KeyValue,
    /** the lab's starter files (fetched from the site on first use) */
    private readonly starter: (lab: string) => Promise<LabFile[]>,
    private readonly now: () => number = Date.now,
  ) {}

  private key(lab: string): string {
    return `lab:${lab}`;
  }

  private serial<T>(lab: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(lab) ?? Promise.resolve();
    const run = before.then(work, work);
    this.queues.set(
      lab,
      run.catch(() => {}),
    );
    return run;
  }

  private async fresh(lab: string): Promise<LabRecord> {
    const t = this.now();
    const files: Record<string, StoredFile> = {};
    for (const f of await this.starter(lab)) files[checkPath(f.path)] = { contents: f.contents, mtimeMs: t, ...(f.binary ? { binary: true as const } : {}) };
    return { lab, createdMs: t, files };
  }

  /** The learner's files, created from the starter on first use. */
  record(lab: string): Promise<LabRecord> {
    return this.serial(lab, async () => {
      const existing = await this.kv.get<LabRecord>(this.key(lab));
      if (existing) return existing;
      const created = await this.fresh(lab);
      await this.kv.set(this.key(lab), created);
      return created;
    });
  }

  /** Every file, binary ones included (what the container's folder must hold). */
  async all(lab: string): Promise<LabFile[]> {
    return filesOf(await this.record(lab));
  }

  /** The text files (the agent lists only those). */
  async list(lab: string): Promise<FileEntry[]> {
    const r = await this.record(lab);
    return Object.entries(r.files)
      .filter(([, f]) => !f.binary)
      .map(([path, f]) => ({ path, size: utf8Bytes(f.contents), mtimeMs: f.mtimeMs }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  async read(lab: string, path: string): Promise<string> {
    const f = (await this.record(lab)).files[checkPath(path)];
    if (!f || f.binary) throw new NotFoundError(`no such file: ${path}`);
    return f.contents;
  }

  /** Writes one file; an unchanged file keeps its time. */
  async write(lab: string, path: string, contents: string): Promise<FileEntry> {
    checkPath(path);
    await this.record(lab);
    return this.serial(lab, async () => {
      const r = (await this.kv.get<LabRecord>(this.key(lab)))!;
      const old = r.files[path];
      const f = old && old.contents === contents ? old : { contents, mtimeMs: this.now() };
      r.files[path] = f;
      await this.kv.set(this.key(lab), r);
      return { path, size: utf8Bytes(contents), mtimeMs: f.mtimeMs };
    });
  }

  /**
   * Makes the record's text files exactly these (what the container's folder holds after the
   * learner worked in the shell); binary starter files stay. Unchanged files keep their time.
   * Returns whether anything changed.
   */
  async replaceText(lab: string, files: LabFile[]): Promise<boolean> {
    await this.record(lab);
    return this.serial(lab, async () => {
      const r = (await this.kv.get<LabRecord>(this.key(lab)))!;
      const next: Record<string, StoredFile> = {};
      for (const [path, f] of Object.entries(r.files)) if (f.binary) next[path] = f;
      let changed = Object.values(r.files).filter((f) => !f.binary).length !== files.length;
      for (const f of files) {
        const old = r.files[checkPath(f.path)];
        if (old && old.contents === f.contents) next[f.path] = old;
        else {
          next[f.path] = { contents: f.contents, mtimeMs: this.now() };
          changed = true;
        }
      }
      if (changed) await this.kv.set(this.key(lab), { ...r, files: next });
      return changed;
    });
  }

  /** Back to the starter; the old files are kept as a backup, named as the agent names its own. */
  async reset(lab: string): Promise<{ backup: string; files: LabFile[] }> {
    await this.record(lab);
    return this.serial(lab, async () => {
      const r = (await this.kv.get<LabRecord>(this.key(lab)))!;
      const stamp = new Date(this.now()).toISOString().replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '$1Z');
      const taken = new Set(await this.backups(lab));
      let backup = `${lab}.backup-${stamp}`;
      for (let n = 2; taken.has(backup); n++) backup = `${lab}.backup-${stamp}-${n}`;
      await this.kv.set(`backup:${lab}:${backup}`, r);
      const all = await this.backups(lab);
      for (const old of all.slice(0, Math.max(0, all.length - maxBackups))) await this.kv.delete(`backup:${lab}:${old}`);
      const created = await this.fresh(lab);
      await this.kv.set(this.key(lab), created);
      return { backup, files: filesOf(created) };
    });
  }

  /** The names of a lab's backups, oldest first. */
  async backups(lab: string): Promise<string[]> {
    const prefix = `backup:${lab}:`;
    return (await this.kv.keys(prefix)).map((k) => k.slice(prefix.length)).sort();
  }

  async backup(lab: string, name: string): Promise<LabRecord | undefined> {
    return this.kv.get<LabRecord>(`backup:${lab}:${name}`);
  }
}

function filesOf(r: LabRecord): LabFile[] {
  return Object.entries(r.files)
    .map(([path, f]) => ({ path, contents: f.contents, ...(f.binary ? { binary: true } : {}) }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

// ---- storage -----------------------------------------------------------------------------

export class MemoryKeyValue implements KeyValue {
  private readonly map = new Map<string, string>();

  async get<T>(key: string): Promise<T | undefined> {
    const v = this.map.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.map.set(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

/** localStorage (5 MB or so: enough for a few labs' files), under one prefix. */
export class StorageKeyValue implements KeyValue {
  constructor(
    private readonly storage: StorageLike,
    private readonly prefix = 'goha.files:',
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const v = this.storage.getItem(this.prefix + key);
    return v === null ? undefined : (JSON.parse(v) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.storage.setItem(this.prefix + key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    this.storage.removeItem(this.prefix + key);
  }

  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < this.storage.length; i++) {
      const k = this.storage.key(i);
      if (k?.startsWith(this.prefix + prefix)) out.push(k.slice(this.prefix.length));
    }
    return out.sort();
  }
}

/** IndexedDB: database "goha-labs", one object store of JSON-able values by key. */
export class IndexedDbKeyValue implements KeyValue {
  private db: Promise<IDBDatabase> | undefined;

  constructor(
    private readonly factory: IDBFactory,
    private readonly name = 'goha-labs',
  ) {}

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const req = this.factory.open(this.name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('kv');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB could not be opened'));
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    });
    return this.db;
  }

  private async tx<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const t = db.transaction('kv', mode);
      const req = act(t.objectStore('kv'));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error ?? req.error ?? new Error('IndexedDB transaction failed'));
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
    });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.tx('readonly', (s) => s.get(key))) as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.tx('readwrite', (s) => s.put(value, key));
  }

  async delete(key: string): Promise<void> {
    await this.tx('readwrite', (s) => s.delete(key));
  }

  async keys(prefix: string): Promise<string[]> {
    const keys = await this.tx('readonly', (s) => s.getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
    return keys.map(String).sort();
  }
}

/**
 * The first of `candidates` that works: each is tried with a harmless read on first use (IndexedDB
 * can exist and still refuse to open, in private windows); the rest of the tab uses the winner.
 */
export class FirstWorkingKeyValue implements KeyValue {
  private chosen: Promise<KeyValue> | undefined;

  constructor(private readonly candidates: (() => KeyValue)[]) {}

  private pick(): Promise<KeyValue> {
    this.chosen ??= (async () => {
      for (const make of this.candidates) {
        try {
          const kv = make();
          await kv.keys('probe:');
          return kv;
        } catch {
          /* next */
        }
      }
      return new MemoryKeyValue();
    })();
    return this.chosen;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.pick()).get<T>(key);
  }

  async set(key: string, value: unknown): Promise<void> {
    return (await this.pick()).set(key, value);
  }

  async delete(key: string): Promise<void> {
    return (await this.pick()).delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return (await this.pick()).keys(prefix);
  }
}

/** The best storage this browser offers: IndexedDB, else localStorage, else memory (this tab only). */
export function browserKeyValue(): KeyValue {
  return new FirstWorkingKeyValue([() => new IndexedDbKeyValue(globalThis.indexedDB), () => new StorageKeyValue(globalThis.localStorage)]);
}
