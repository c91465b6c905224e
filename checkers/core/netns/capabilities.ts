// Can this process run kernel-level labs? Checked the way it will be used: capability bits first
// (cheap, and they explain the usual failure), then the tools, then a real namespace created and
// deleted, because a rootless container or an AppArmor profile can refuse even a "root" process.
// The answer is cached: the probe costs a few spawns and the answer does not change within a run.
import { existsSync, readFileSync } from 'node:fs';
import { which } from './exec.js';
import { createNetns, destroyNetns } from './namespace.js';

export type KernelCapability = { ok: true } | { ok: false; reason: string; command: string };

/** The lab image instructors run (docker/); the command we suggest names it. */
export const LAB_IMAGE = 'go-ha-labs';

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

type Problem = 'caps' | 'tools' | 'netns';
let cached: { ok: true } | { ok: false; problem: Problem; reason: string } | undefined;

/**
 * Whether kernel labs can run here; when not, a sentence saying why (starting "skipped:") and the
 * exact command that would run `labId`'s check where they can.
 */
export function kernelCapability(labId = '<lab>'): KernelCapability {
  cached ??= probe();
  if (cached.ok) return { ok: true };
  return { ok: false, reason: cached.reason, command: commandFor(cached.problem, labId) };
}

/** Forget the cached answer (tests; or after the environment was fixed). */
export function resetKernelCapability(): void {
  cached = undefined;
}

function probe(): NonNullable<typeof cached> {
  if (process.platform !== 'linux') {
    return { ok: false, problem: 'caps', reason: `skipped: network namespaces need Linux (this is ${process.platform})` };
  }
  const eff = capEff();
  const has = (bit: bigint) => eff !== null && ((eff >> bit) & 1n) === 1n;
  if (!has(CAP_NET_ADMIN) || !has(CAP_SYS_ADMIN)) {
    const who = process.getuid?.() === 0 ? 'this root process lacks them' : 'run as root';
    return { ok: false, problem: 'caps', reason: `skipped: needs CAP_NET_ADMIN and CAP_SYS_ADMIN (network namespaces); ${who}` };
  }
  const missing = [['ip', 'iproute2'], ['tc', 'iproute2'], ['ss', 'iproute2'], ['nft', 'nftables']].filter(([t]) => !which(t));
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, p]) => p))].join(' and ');
    return { ok: false, problem: 'tools', reason: `skipped: needs ${missing.map(([t]) => `\`${t}\``).join(', ')} (install ${pkgs})` };
  }
  try {
    // a sysctl too: it proves /proc/sys is writable inside the namespace (read-only in Docker)
    destroyNetns(createNetns({ sysctls: { 'net.ipv4.tcp_fin_timeout': '60' } }));
  } catch (e) {
    return { ok: false, problem: 'netns', reason: `skipped: could not create a network namespace: ${(e as Error).message}` };
  }
  return { ok: true };
}

/** CapEff from /proc/self/status as a bit set, or null when unreadable. */
export function capEff(status?: string): bigint | null {
  try {
    const text = status ?? readFileSync('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
    return m ? BigInt('0x' + m[1]) : null;
  } catch {
    return null;
  }
}

function inContainer(): boolean {
  if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) return true;
  try {
    return /docker|containerd|kubepods|libpod/.test(readFileSync('/proc/1/cgroup', 'utf8'));
  } catch {
    return false;
  }
}

function commandFor(problem: Problem, labId: string): string {
  const docker =
    `docker run --rm --cap-add NET_ADMIN --cap-add SYS_ADMIN --security-opt apparmor=unconfined ` +
    `${LAB_IMAGE} labs check ${labId}`;
  if (inContainer()) return docker;
  if (problem === 'tools') return `sudo apt-get install -y iproute2 nftables && sudo npx labs check ${labId}`;
  if (problem === 'caps' && process.getuid?.() !== 0) return `sudo npx labs check ${labId}`;
  return docker;
}
