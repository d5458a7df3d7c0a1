#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { failAndExit } from './fail.js';
import { runMigrate } from './migrate.js';
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

program.parseAsync().catch(failAndExit);
