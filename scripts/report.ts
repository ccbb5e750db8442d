import { Command } from 'commander';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { createApolloServer } from '../src/graphql/apollo.ts';
import { contextFactory } from '../src/graphql/context.ts';
import { runQuery } from '../src/graphql/run-query.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { ROLE_PAGE_QUERY, type RolePageData } from '../src/report/role-page-query.ts';
import { runCli, UsageError } from './cli.ts';

const program = new Command('report')
  .description("Prints a role's page, built from a GraphQL query against the service's schema.")
  .argument('<slug>', 'the role, e.g. backend-developer')
  .option('--format <format>', 'md', 'md')
  .addHelpText('after', '\nUses DATABASE_URL, or the embedded database when it is unset.');

runCli(async () => {
  program.parse();
  const [slug] = program.args as [string];
  const { format } = program.opts<{ format: string }>();
  if (format !== 'md') throw new UsageError(`option --format has invalid value "${format}": must be md`);
  const config = loadConfig();
  const db = await openDatabase({ url: config.DATABASE_URL, pgliteDir: config.pgliteDir, migrate: true });
  try {
    const apollo = createApolloServer({ production: false });
    const data = await runQuery<{ role: RolePageData | null }>(apollo, contextFactory(db)(), ROLE_PAGE_QUERY, { slug });
    if (!data.role) throw new UsageError(`no role with slug "${slug}"`);
    process.stdout.write(renderMarkdown(data.role) + '\n');
  } finally {
    await db.close();
  }
});
