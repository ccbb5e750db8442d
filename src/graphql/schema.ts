import fs from 'node:fs';
import path from 'node:path';

const SCHEMA_DIR = path.join(__dirname, 'schema');

/** The SDL: every .graphql file under src/graphql/schema, in name order. */
export function loadTypeDefs(): string {
  return fs
    .readdirSync(SCHEMA_DIR)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => fs.readFileSync(path.join(SCHEMA_DIR, name), 'utf8'))
    .join('\n');
}
