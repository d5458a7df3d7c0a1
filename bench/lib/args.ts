import path from 'node:path';
import { parseArgs } from 'node:util';

export interface BenchArgs {
  posts: number;
  queries: number;
  dir: string;
  reuse: boolean;
}

const USAGE = `usage: npm run bench:feed -- [--posts N] [--queries N] [--dir PATH] [--reuse]
  --posts N    geo posts to seed (default 1000000)
  --queries N  timed queries per measurement (default 2000)
  --dir PATH   data dir of the benchmark database (default bench/.data/feed-sqlite)
  --reuse      keep the database in --dir when it already holds exactly N posts`;

function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${text}"\n${USAGE}`);
  return value;
}

export function parseBenchArgs(argv: string[], root: string): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      posts: { type: 'string', default: '1000000' },
      queries: { type: 'string', default: '2000' },
      dir: { type: 'string', default: 'bench/.data/feed-sqlite' },
      reuse: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    posts: positiveInt('posts', values.posts),
    queries: positiveInt('queries', values.queries),
    dir: path.resolve(root, values.dir),
    reuse: values.reuse,
  };
}
