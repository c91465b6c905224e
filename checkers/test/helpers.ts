// Shared by the engine tests: run the CLI, look for leftover processes and listeners.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../core/paths.js';

export const fixtures = join(repoRoot, 'checkers', 'test', 'fixtures');
export const labsBin = join(repoRoot, 'bin', 'labs.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [labsBin, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * pids of lab servers: processes whose executable lives in a check's temp dir
 * (ghl-<pid of the checking process>-...). `owner` limits it to one checking process, so that
 * checks run by others on the same machine do not count.
 */
export function labServerPids(owner: number = process.pid): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const exe = readlinkSync(`/proc/${name}/exe`);
      if (exe.includes(`/ghl-${owner}-`)) pids.push(Number(name));
    } catch {
      /* gone or not ours */
    }
  }
  return pids;
}

/** pids whose command line contains `needle` */
export function pidsByCmdline(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) pids.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return pids;
}

export function isListening(port: number): boolean {
  const out = spawnSync('ss', ['-Htln', `sport = :${port}`], { encoding: 'utf8' }).stdout;
  return out.trim().length > 0;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
