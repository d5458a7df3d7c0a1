import fs from 'node:fs';
import os from 'node:os';
import BetterSqlite3 from 'better-sqlite3';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  sqlite: string;
  date: string;
  /** 1-minute load average at the start and end of the run (other work on the machine shows here). */
  loadStart: number;
  loadEnd?: number;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch {
    // not Linux: fall back to what os reports
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function sqliteVersion(): string {
  const db = new BetterSqlite3(':memory:');
  try {
    return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    ramGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    sqlite: sqliteVersion(),
    date: new Date().toISOString(),
    loadStart: os.loadavg()[0] ?? NaN,
  };
}

export function currentLoad(): number {
  return os.loadavg()[0] ?? NaN;
}
