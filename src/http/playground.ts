import zlib from 'node:zlib';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
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

export type Playground = 'graphiql' | 'sandbox' | 'off';

let graphiql: string | undefined;
let compressed: { html: string; gzip: Buffer } | undefined;

/**
 * GraphiQL with every script and style inline (no CDN), rendered once. It opens on EXAMPLE_QUERY,
 * or on the query in the page's `?query=` parameter (read by GraphiQL in the browser, never
 * written into the HTML), which is how the role pages link to their figures.
 */
function graphiqlPage(): string {
  graphiql ??= renderGraphiQL({
    title: 'Job-market statistics · GraphiQL',
    endpoint: '/graphql',
    defaultQuery: EXAMPLE_QUERY,
  });
  return graphiql;
}

/**
 * The landing page Apollo serves on GET /graphql to a browser (Accept: text/html): GraphiQL,
 * Apollo Sandbox (Apollo's own page, which loads the Sandbox from Apollo's CDN, so it needs
 * internet access) or none.
 */
export function landingPagePlugin(playground: Playground): ApolloServerPlugin {
  if (playground === 'sandbox') {
    return ApolloServerPluginLandingPageLocalDefault({ embed: true, document: EXAMPLE_QUERY, includeCookies: false });
  }
  if (playground === 'off') return ApolloServerPluginLandingPageDisabled();
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: graphiqlPage() };
        },
      };
    },
  };
}

/** The page gzipped, compressed once (GraphiQL is 9 MB, 2.4 MB gzipped), for clients that accept it. */
export function gzipLandingPage(html: string): Buffer {
  if (compressed?.html !== html) compressed = { html, gzip: zlib.gzipSync(html) };
  return compressed.gzip;
}
