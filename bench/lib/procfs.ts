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
