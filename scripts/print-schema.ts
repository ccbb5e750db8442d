/**
 * npm run schema:print: writes the published SDL to schema.graphql at the repository root, the
 * five files of src/graphql/schema joined and sorted (lexicographicSortSchema), so that a change
 * shows up in review as a diff of the one file clients consume. `--check` only compares.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { loadTypeDefs } from '../src/graphql/schema.ts';
import { PROJECT_ROOT } from '../src/project-root.ts';

export const SCHEMA_FILE = path.join(PROJECT_ROOT, 'schema.graphql');

export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema(loadTypeDefs())))}\n`;
}

if (require.main === module) {
  const printed = printedSchema();
  if (process.argv.includes('--check')) {
    const committed = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
    if (committed !== printed) {
      process.stderr.write(
        'schema.graphql differs from src/graphql/schema/*.graphql: run `npm run schema:print` and commit it.\n',
      );
      process.exit(1);
    }
  } else {
    fs.writeFileSync(SCHEMA_FILE, printed);
    process.stderr.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE) || SCHEMA_FILE}\n`);
  }
}
