#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { runBackup } from './backup.js';
import { registerBench } from './bench.js';
import { runExport } from './export.js';
import { failAndExit } from './fail.js';
import { runImport } from './import.js';
import { runMigrate } from './migrate.js';
import { runRestore } from './restore.js';
import { runServe } from './serve.js';
import { runUserCreate } from './user-create.js';

const program = new Command()
  .name('lo')
  .description(
    'Lo: a self-hostable backend for real-time, location-based social apps.\nConfiguration comes from LO_* environment variables (see the README).',
  )
  .version(VERSION);

program.command('serve', { isDefault: true }).description('start the server (the HTTP API on LO_HOST:LO_PORT)').action(runServe);

program.command('migrate').description('bring the database schema up to date and exit').action(runMigrate);

program
  .command('user')
  .description('manage users')
  .command('create')
  .description('create a user; prints a generated password unless --password or LO_USER_PASSWORD is given')
  .argument('<username>', 'the new username')
  .option('--admin', 'give the user the admin role', false)
  .option('--password <password>', 'password (prefer LO_USER_PASSWORD: arguments show up in process lists)')
  .action(runUserCreate);

program
  .command('export')
  .description('write the whole database as portable JSON lines (stdout unless --out), safe while a server runs')
  .option('--out <file>', 'write to this file (mode 0600, complete once it has its name)')
  .action(runExport);

program
  .command('import')
  .description('load an export into the (new, empty) database LO_DATABASE_URL names, all or nothing')
  .argument('<file>', 'the export (- for stdin)')
  .action(runImport);

program
  .command('backup')
  .description('SQLite: a consistent copy while the server runs; PostgreSQL: pg_dump, or how to run it')
  .option('--out <file>', 'backup file (default: <LO_DATA_DIR>/backups/lo-<time>.db or .dump)')
  .action(runBackup);

program
  .command('restore')
  .description('put a SQLite backup in place of the database (servers stopped); the replaced file is kept aside')
  .argument('<file>', 'a file made by lo backup')
  .action(runRestore);

registerBench(program);

program.parseAsync().catch(failAndExit);
