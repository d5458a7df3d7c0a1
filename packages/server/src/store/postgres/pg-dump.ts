/**
 * Backups of a PostgreSQL deployment are PostgreSQL's own tools' job (pg_dump, pg_restore, or the
 * provider's snapshots); Lo only runs pg_dump with the right arguments when it is installed, and
 * otherwise says what to run. The password never goes on a command line (process lists show those):
 * it is passed in PGPASSWORD.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parsePostgresUrl } from '../../config/config.js';
import { OperatorError } from '../../errors/operator-error.js';

export interface PgDumpPlan {
  /** Arguments of pg_dump, `--file=<outFile>` among them. */
  args: string[];
  env: Record<string, string>;
  /** The command as an operator would type it (password left out). */
  display: string;
}

/** Where `command` is on PATH, or null. */
export function findOnPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The connection URL without its password (and without Lo's own pool/schema parameters), and the password. */
function splitUrl(databaseUrl: string): { url: string; password: string; schema: string } {
  const parsed = parsePostgresUrl(databaseUrl);
  const url = new URL(parsed.url);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { url: url.toString(), password, schema: parsed.schema ?? 'public' };
}

/**
 * pg_dump in its custom format (compressed; pg_restore can restore it selectively). Lo's schema only
 * when it has one of its own; the whole database when Lo lives in `public`, so the PostGIS extension
 * is in the dump too.
 */
export function pgDumpPlan(databaseUrl: string, outFile: string): PgDumpPlan {
  const { url, password, schema } = splitUrl(databaseUrl);
  const args = [
    '--format=custom',
    '--no-owner',
    `--file=${outFile}`,
    ...(schema === 'public' ? [] : [`--schema=${schema}`]),
    `--dbname=${url}`,
  ];
  return { args, env: password === '' ? {} : { PGPASSWORD: password }, display: ['pg_dump', ...args.map((a) => `'${a}'`)].join(' ') };
}

/**
 * Runs pg_dump into `outFile`; its own messages (the reason of a failure) go to this process's stderr.
 * On failure the incomplete file is removed, so a file that exists is a whole dump.
 */
export async function runPgDump(plan: PgDumpPlan, outFile: string): Promise<void> {
  const exit = await new Promise<string | null>((resolve, reject) => {
    const child = spawn('pg_dump', plan.args, { env: { ...process.env, ...plan.env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code === 0 ? null : String(code ?? signal)));
  });
  // Readable by its owner only, like SQLite backups: it holds password hashes and the deployment's secrets.
  if (exit === null) return fs.chmodSync(outFile, 0o600);
  fs.rmSync(outFile, { force: true });
  throw new OperatorError(`pg_dump failed (exit ${exit}, its message is above): no backup was made`);
}

/** What to run to back up and restore a PostgreSQL deployment, for an operator to read. */
export function pgProcedure(databaseUrl: string): string {
  const { url, schema } = splitUrl(databaseUrl);
  const only = schema === 'public' ? '' : ` --schema=${schema}`;
  return [
    'PostgreSQL backups are made with PostgreSQL tools (password in PGPASSWORD or ~/.pgpass):',
    `  backup:  pg_dump --format=custom --no-owner${only} --file=lo.dump '${url}'`,
    '  restore: stop every Lo server, then into a new, empty database with PostGIS:',
    `           psql '<new database url>' -c 'CREATE EXTENSION IF NOT EXISTS postgis'`,
    `           pg_restore --no-owner --dbname='<new database url>' lo.dump`,
    '           and point LO_DATABASE_URL at it. See docs/OPERATIONS.md.',
  ].join('\n');
}
