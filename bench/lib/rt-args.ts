/** Command-line flags of the real-time benchmarks: numbers with defaults, and the list of servers. */
import { parseArgs } from 'node:util';
import { SERVER_KINDS, type ServerKind } from './rt-client.js';

export interface FlagSpec {
  default: number;
  doc: string;
  /** Whole numbers only (counts); otherwise any positive number (seconds, rates). */
  integer?: boolean;
}

export interface ParsedFlags<K extends string> {
  values: Record<K, number>;
  servers: ServerKind[];
  /** --dry-run: print the figures but leave bench/results.md alone (for trying things out). */
  dryRun: boolean;
  /** Boolean flags named in `options.switches`, true when given. */
  switches: Record<string, boolean>;
  /** The flags as given, for the results' command line. */
  given: string[];
}

export interface ParseOptions {
  /** Whether the script compares servers (`--servers`); default true. */
  servers?: boolean;
  /** Further boolean flags: name → what it does (for --help). */
  switches?: Record<string, string>;
}

function usageError(message: string, help: string): never {
  console.error(`${message}\n${help}`);
  process.exit(2);
}

/**
 * Parses `--name N` flags of `spec` plus `--servers ws,socketio,lo` (unless `options.servers` is false),
 * the boolean `options.switches`, `--dry-run` and `--help` (prints `usage` and the flags).
 */
export function parseFlags<K extends string>(
  argv: string[],
  usage: string,
  spec: Record<K, FlagSpec>,
  parseOptions: ParseOptions = {},
): ParsedFlags<K> {
  const names = Object.keys(spec) as K[];
  const withServers = parseOptions.servers !== false;
  const switchDocs = parseOptions.switches ?? {};
  const help = [
    usage,
    ...names.map((name) => `  --${name} N`.padEnd(24) + `${spec[name].doc} (default ${spec[name].default})`),
    ...(withServers ? ['  --servers LIST'.padEnd(24) + `comma-separated, of ${SERVER_KINDS.join(', ')} (default all, in that order)`] : []),
    ...Object.entries(switchDocs).map(([name, doc]) => `  --${name}`.padEnd(24) + doc),
    '  --dry-run'.padEnd(24) + 'do not write bench/results.md',
  ].join('\n');
  const options = {
    ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
    ...Object.fromEntries(Object.keys(switchDocs).map((name) => [name, { type: 'boolean' as const, default: false }])),
    servers: { type: 'string' as const, default: SERVER_KINDS.join(',') },
    'dry-run': { type: 'boolean' as const, default: false },
    help: { type: 'boolean' as const, default: false },
  };
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; strict: true }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true }));
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error), help);
  }
  if (values.help === true) {
    console.log(help);
    process.exit(0);
  }
  if (!withServers && argv.some((arg) => arg.startsWith('--servers'))) usageError('--servers: this benchmark runs Lo only', help);
  const out = {} as Record<K, number>;
  for (const name of names) {
    const text = (values as Record<string, unknown>)[name];
    const value = typeof text === 'string' ? Number(text) : spec[name].default;
    const ok = Number.isFinite(value) && value > 0 && (spec[name].integer !== true || Number.isInteger(value));
    if (!ok) usageError(`--${name} must be a positive ${spec[name].integer === true ? 'integer' : 'number'}, got "${String(text)}"`, help);
    out[name] = value;
  }
  const servers = String(values.servers)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = servers.filter((s) => !(SERVER_KINDS as readonly string[]).includes(s));
  if (unknown.length > 0 || servers.length === 0) return usageError(`--servers: unknown ${unknown.join(', ')}`, help);
  const switches = Object.fromEntries(Object.keys(switchDocs).map((name) => [name, (values as Record<string, unknown>)[name] === true]));
  return { values: out, servers: servers as ServerKind[], dryRun: values['dry-run'] === true, switches, given: argv };
}

/** The command that reproduces this run, for the results file. */
export function commandLine(script: string, given: string[]): string {
  return [`npm run ${script}`, ...(given.length > 0 ? ['--', ...given] : [])].join(' ');
}
