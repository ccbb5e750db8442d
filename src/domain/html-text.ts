import { Parser } from 'htmlparser2';

const BLOCKS = new Set([
  'p',
  'div',
  'br',
  'li',
  'ul',
  'ol',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'tr',
  'table',
  'section',
  'article',
  'header',
  'footer',
  'blockquote',
  'pre',
  'dd',
  'dt',
  'dl',
  'hr',
]);
const SKIPPED = new Set(['script', 'style', 'noscript', 'template']);

/** True when the text looks like HTML (a tag or an entity), so that plain text is kept as it is. */
export function looksLikeHtml(text: string): boolean {
  return /<\/?[a-z][a-z0-9]*[\s/>]|&(?:[a-z]+|#\d+|#x[0-9a-f]+);/i.test(text);
}

/**
 * HTML read as text, with htmlparser2 (entities decoded): block elements and <br> become line
 * breaks, list items start with "• ", scripts and styles are dropped, spaces are collapsed.
 * Line breaks matter: the degree rules cut sentences at them.
 */
export function htmlToText(html: string): string {
  let out = '';
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (SKIPPED.has(name)) skipping++;
        else if (name === 'li') out += '\n• ';
        else if (BLOCKS.has(name)) out += '\n';
      },
      onclosetag(name) {
        if (SKIPPED.has(name)) skipping = Math.max(0, skipping - 1);
        else if (BLOCKS.has(name) && name !== 'li') out += '\n';
      },
      ontext(text) {
        if (skipping === 0) out += text;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return out
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n+/g, '\n')
    .trim();
}

/**
 * A description as stored: HTML read as text, plain text kept (trimmed). Feeds often escape the
 * HTML once more (`&lt;p&gt;` inside JSON-LD), so the text is read again, up to three times,
 * while it still looks like HTML.
 */
export function descriptionText(text: string): string {
  let out = text.trim();
  for (let pass = 0; pass < 3 && looksLikeHtml(out); pass++) out = htmlToText(out);
  return out;
}
