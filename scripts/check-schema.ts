/**
 * npm run check:schema [-- --base REF]: lists the changes of the current SDL against schema.graphql
 * as committed at REF (default: the merge base with main) and fails on any breaking one (a removed
 * field, a type changed, an argument made required...), as @graphql-inspector classifies them.
 * A deliberate break: say so in CHANGELOG.md and run with ALLOW_BREAKING=1.
 */
import { execFileSync } from 'node:child_process';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';
import { printedSchema } from './print-schema.ts';

function git(args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function main(): Promise<number> {
  const at = process.argv.indexOf('--base');
  let base = at >= 0 ? process.argv[at + 1] : undefined;
  if (!base) {
    try {
      base = git(['merge-base', 'HEAD', 'main']).trim();
    } catch {
      process.stderr.write('check:schema: no branch main to compare with; pass --base REF.\n');
      return 2;
    }
  }
  let committed: string;
  try {
    committed = git(['show', `${base}:schema.graphql`]);
  } catch {
    process.stderr.write(`check:schema: ${base} has no schema.graphql yet: nothing to compare.\n`);
    return 0;
  }
  const changes = await diff(buildSchema(committed), buildSchema(printedSchema()));
  const breaking = changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking);
  for (const c of changes) process.stdout.write(`${c.criticality.level.padEnd(13)} ${c.message}\n`);
  process.stdout.write(`${changes.length} change(s) against ${base.slice(0, 12)}, ${breaking.length} breaking\n`);
  if (breaking.length > 0 && process.env.ALLOW_BREAKING !== '1') {
    process.stderr.write(
      'check:schema: breaking changes (see above); if deliberate, record them in CHANGELOG.md and set ALLOW_BREAKING=1.\n',
    );
    return 1;
  }
  return 0;
}

main().then((code) => process.exit(code));
