import fs from 'node:fs';
import path from 'node:path';

/**
 * The directory holding package.json (and prisma/, data/, src/graphql/schema/). Found by walking
 * up, because this module runs both from src/ (tsx, Jest) and from dist/src/ (the build).
 */
export const PROJECT_ROOT = ((): string => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'prisma'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json with a prisma/ folder above ${__dirname}`);
  }
})();
