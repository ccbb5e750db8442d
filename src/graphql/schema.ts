import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.ts';

// From the project root, not __dirname: the build (dist/) holds no .graphql files.
const SCHEMA_DIR = path.join(PROJECT_ROOT, 'src/graphql/schema');

/** The SDL: every .graphql file under src/graphql/schema, in name order. */
export function loadTypeDefs(): string {
  return fs
    .readdirSync(SCHEMA_DIR)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => fs.readFileSync(path.join(SCHEMA_DIR, name), 'utf8'))
    .join('\n');
}
