import zlib from 'node:zlib';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

export const EXAMPLE_QUERY = `# Statistics of the seeded role. Press the run button (or Ctrl-Enter).
query BackendDeveloper {
  role(slug: "backend-developer") {
    title
    stats {
      openings
      employers
      salary { currency count mean median min max }
      degreeRequirement { employerShare postingShare employersRequiring employersKnown }
    }
    responsibilities { title }
    careerSteps { title }
  }
}
`;

let cached: { html: Buffer; gzip: Buffer } | undefined;

/**
 * GraphiQL with every script and style inline (no CDN), rendered and compressed once. It opens
 * on EXAMPLE_QUERY, or on the query in the page's `?query=` parameter (read by GraphiQL in the
 * browser, never written into the HTML), which is how the role pages link to their figures.
 */
export function playgroundPage(): { html: Buffer; gzip: Buffer } {
  if (!cached) {
    const html = Buffer.from(
      renderGraphiQL({ title: 'Job-market statistics · GraphiQL', endpoint: '/graphql', defaultQuery: EXAMPLE_QUERY }),
      'utf8',
    );
    cached = { html, gzip: zlib.gzipSync(html) };
  }
  return cached;
}

/**
 * Apollo Sandbox (PLAYGROUND=sandbox): Apollo's own landing page, which loads the Sandbox from
 * Apollo's CDN, so it needs internet access. Opens on EXAMPLE_QUERY.
 */
export async function sandboxPage(): Promise<string> {
  const plugin = ApolloServerPluginLandingPageLocalDefault({ embed: true, document: EXAMPLE_QUERY, includeCookies: false });
  const listener = await (plugin.serverWillStart as unknown as () => Promise<{ renderLandingPage(): Promise<{ html: string | (() => Promise<string>) }> }>)();
  const { html } = await listener.renderLandingPage();
  return typeof html === 'string' ? html : html();
}
