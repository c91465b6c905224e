// The checker's `--events` output, as it arrives from a WebContainer process: text chunks from a
// terminal (stdout and stderr together, "\r\n" line ends, lines cut anywhere). Event lines are
// JSON objects; anything else (a warning, a stack trace) is kept for the error message.
import type { CheckEvent, Verdict } from '../../../checkers/core/verdict.js';

const ansi = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

/** Splits text chunks into lines ("\n", "\r\n"); an unfinished last line waits for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  /** The unfinished last line, if any (at the end of the stream). */
  flush(): string[] {
    const rest = this.rest;
    this.rest = '';
    return rest ? [rest.endsWith('\r') ? rest.slice(0, -1) : rest] : [];
  }
}

const eventTypes = new Set<CheckEvent['type']>(['check-start', 'phase', 'server-start', 'probe-start', 'probe-progress', 'probe-end', 'server-log', 'check-end']);

/** One output line as a CheckEvent, or undefined when it is not one. */
export function parseEventLine(line: string): CheckEvent | undefined {
  const text = line.replace(ansi, '').trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !eventTypes.has(type as CheckEvent['type'])) return undefined;
  if (type === 'check-end' && typeof (value as { verdict?: unknown }).verdict !== 'object') return undefined;
  return value as CheckEvent;
}

/** Server output for a text panel: "\n" line ends (a terminal sends "\r\n"). */
export function plainNewlines(chunk: string): string {
  return chunk.replace(/\r\n/g, '\n');
}

/** Follows one check's output: passes events on, remembers the verdict and the other lines. */
export class CheckStream {
  private readonly lines = new LineSplitter();
  private readonly other: string[] = [];
  private verdictSeen: Verdict | undefined;
  started = false;

  constructor(private readonly onEvent: (event: CheckEvent) => void) {}

  get verdict(): Verdict | undefined {
    return this.verdictSeen;
  }

  push(chunk: string): void {
    for (const line of this.lines.push(chunk)) this.line(line);
  }

  private line(line: string): void {
    const event = parseEventLine(line);
    if (!event) {
      const text = line.replace(ansi, '').trimEnd();
      if (text) {
        this.other.push(text);
        if (this.other.length > 40) this.other.shift();
      }
      return;
    }
    if (event.type === 'check-start') this.started = true;
    if (event.type === 'check-end') this.verdictSeen = event.verdict;
    this.onEvent(event);
  }

  /**
   * The stream ended with the process's exit code: the verdict, or an Error that says why there
   * is none (with the last lines the checker printed).
   */
  end(exitCode: number | null): Verdict | Error {
    for (const line of this.lines.flush()) this.line(line);
    if (this.verdictSeen) return this.verdictSeen;
    const tail = this.other.slice(-8).join('\n');
    const how = exitCode === null ? 'was stopped' : `exited with code ${exitCode}`;
    return new Error(`the checker ${how} before its verdict${tail ? `:\n${tail}` : ''}`);
  }
}
