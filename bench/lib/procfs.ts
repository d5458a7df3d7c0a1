/** CPU time and memory of another process, read from Linux's /proc (so the process needs no cooperation). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerS: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat (CLK_TCK, 100 on Linux unless the kernel says otherwise). */
function clockTicks(): number {
  if (ticksPerS === undefined) {
    try {
      ticksPerS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerS = 100;
    }
  }
  return ticksPerS;
}

/**
 * User + system CPU time of every thread of `pid` so far, in microseconds (to the clock tick, 10 ms at
 * CLK_TCK 100: measure over seconds, not milliseconds).
 */
export function cpuTimeUs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]); // field 14 of the whole line
  const stime = Number(fields[12]); // field 15
  return ((utime + stime) * 1e6) / clockTicks();
}

/** Resident set size of `pid` in KiB (VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no VmRSS for process ${pid} (has it exited?)`);
  return Number(match[1]);
}

/** Pids of the processes whose command name (/proc/<pid>/comm) is `name`, e.g. every PostgreSQL backend. */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/**
 * CPU time (µs) of every process named `name`, per pid: with two readings, the processes alive at both
 * plus those started between them cover what was spent in between (those that ended are missed).
 */
export function cpuByPid(name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pidsNamed(name)) {
    try {
      out.set(pid, cpuTimeUs(pid));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU µs spent between two cpuByPid readings. */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, us] of after) sum += us - (before.get(pid) ?? 0);
  return sum;
}
