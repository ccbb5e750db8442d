// Runs before `npm start` and the CLI scripts: brings dist/ up to date with an incremental
// `tsc -b` (about a second when nothing changed). Where TypeScript is not installed (a production
// install, the Docker image), the shipped dist/ is used as it is.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const shipped = () => fs.existsSync(path.join(root, 'dist/main.js'));
// A production image ships dist/ without the sources' build set-up: run what is there.
if (!fs.existsSync(path.join(root, 'tsconfig.build.json')) && shipped()) process.exit(0);
let tsc;
try {
  tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  if (shipped()) process.exit(0);
  process.stderr.write('dist/ is missing and TypeScript is not installed: run `npm ci` and `npm run build` first.\n');
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  process.stderr.write('build failed (see the errors above): fix them or run `npm run dev` meanwhile.\n');
  process.exit(result.status ?? 1);
}
