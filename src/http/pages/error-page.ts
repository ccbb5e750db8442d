/** Error pages in the site's layout: an unknown role (404), a bad sort (400), a failure (500). */
import { escapeHtml, renderLayout } from './layout.ts';

export function renderErrorPage(options: {
  status: number;
  heading: string;
  message: string;
  playground: boolean;
}): string {
  return renderLayout({
    title: `${options.heading} · Job-market statistics`,
    body: `<div class="error">
<h1>${escapeHtml(options.heading)}</h1>
<p>${escapeHtml(options.message)}</p>
<p><a href="/roles">See every role</a></p>
</div>
`,
    playground: options.playground,
  });
}

/** The 404 page of a slug that names no role. */
export function renderRoleNotFound(slug: string, playground: boolean): string {
  return renderErrorPage({
    status: 404,
    heading: 'Role not found',
    message: `There is no role called “${slug}”. It may have been renamed, or the address may be mistyped.`,
    playground,
  });
}
