import zlib from 'node:zlib';
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

/** GraphiQL with every script and style inline (no CDN), rendered and compressed once. */
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
