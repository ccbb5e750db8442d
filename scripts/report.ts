import { Command } from 'commander';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { usePreparedStatements } from '../src/db/prepared.ts';
import { createApolloServer } from '../src/graphql/apollo.ts';
import { contextFactory } from '../src/graphql/context.ts';
import { parseRolePageParams, renderRolePage } from '../src/http/pages/role-page.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { roleCsv } from '../src/report/csv.ts';
import { fetchRolePage } from '../src/report/role-page-query.ts';
import { runCli, UsageError } from './cli.ts';

const program = new Command('report')
  .description("Prints a role's page, built from a GraphQL query against the service's schema.")
  .argument('<slug>', 'the role, e.g. backend-developer')
  .option(
    '--format <format>',
    "md (the Markdown page), html (the page served at /roles/<slug>), json (the query's data) or csv (the export served at /roles/<slug>.csv)",
    'md',
  )
  .addHelpText('after', '\nUses DATABASE_URL, or the embedded database when it is unset.');

runCli(async () => {
  program.parse();
  const [slug] = program.args as [string];
  const { format } = program.opts<{ format: string }>();
  if (!['md', 'html', 'json', 'csv'].includes(format))
    throw new UsageError(`option --format has invalid value "${format}": must be md, html, json or csv`);
  const config = loadConfig();
  usePreparedStatements(config.DB_PREPARED_STATEMENTS === 'true');
  const db = await openDatabase({
    url: config.DATABASE_URL,
    pgliteDir: config.pgliteDir,
    migrate: true,
    embeddedRole: 'cli',
    workMem: config.DB_WORK_MEM,
  });
  try {
    const apollo = createApolloServer({ production: false });
    const createContext = contextFactory(db);
    if (format === 'csv') {
      const csv = await roleCsv(apollo, () => createContext(), slug);
      if (csv === null) throw new UsageError(`no role with slug "${slug}"`);
      process.stdout.write(csv);
      return;
    }
    // The HTML page is the one /roles/<slug> serves without a query string (outliers left out);
    // Markdown and JSON keep every salary, as the seed page and the prose figures do.
    const view = format === 'html' ? parseRolePageParams(new URLSearchParams()) : {};
    const role = await fetchRolePage(apollo, () => createContext(), slug, view);
    if (!role) throw new UsageError(`no role with slug "${slug}"`);
    const data = { role };
    if (format === 'json') process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    else if (format === 'html') {
      // The same page as the server's, with the playground link when the server would show it.
      const playground = (config.PLAYGROUND ?? (config.NODE_ENV === 'production' ? 'off' : 'graphiql')) !== 'off';
      process.stdout.write(renderRolePage(data.role, { playground, view }));
    } else {
      // Byte for byte the page (the seed has no final newline); a terminal gets one for its prompt.
      process.stdout.write(renderMarkdown(data.role) + (process.stdout.isTTY ? '\n' : ''));
    }
  } finally {
    await db.close();
  }
});
