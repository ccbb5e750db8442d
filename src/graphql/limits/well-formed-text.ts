import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, visit, type ASTNode, type DocumentNode } from 'graphql';

/**
 * One check for every text a client sends: a string argument or variable that holds NUL
 * (PostgreSQL cannot store it in text) or a lone UTF-16 surrogate (what invalid UTF-8 becomes
 * once decoded; it cannot be encoded again) is BAD_USER_INPUT (HTTP 400) before anything runs,
 * instead of an internal error from the database halfway through.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a text is refused, or undefined when it is fine. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text))
    return 'must be valid Unicode text (it holds a lone surrogate, as invalid UTF-8 gives)';
  return undefined;
}

function shown(text: string): string {
  const json = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
  return json;
}

/** A path for a message: a deeply nested one keeps its two ends. */
function shortPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 100)}…${path.slice(-80)}` : path;
}

function invalidText(what: string, argumentName: string, text: string, rule: string): GraphQLError {
  return new GraphQLError(`${what} has invalid value ${shown(text)}: ${rule}.`, {
    extensions: { code: 'BAD_USER_INPUT', argumentName, http: { status: 400 } },
  });
}

/**
 * The first bad string among a variable's value (nested inputs and lists included), with its
 * path. Iterative: a client may send variables nested thousands deep.
 */
function findInValue(root: unknown, rootPath: string): { path: string; text: string; rule: string } | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: rootPath }];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string };
    if (typeof value === 'string') {
      const rule = textProblem(value);
      if (rule) return { path, text: value, rule };
      continue;
    }
    if (!value || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [`[${i}]`, v])
      : Object.entries(value).map(([k, v]) => [`.${k}`, v]);
    // Pushed in reverse so that the first bad string in reading order is found first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [step, inner] = entries[i] as [string, unknown];
      if (!Array.isArray(value)) {
        const keyRule = textProblem(step.slice(1));
        if (keyRule) return { path, text: step.slice(1), rule: keyRule };
      }
      stack.push({ value: inner, path: `${path}${step}` });
    }
  }
  return undefined;
}

/** The first bad string literal in a document, named by its argument (and input fields). */
function findInDocument(document: DocumentNode): GraphQLError | undefined {
  let error: GraphQLError | undefined;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      if (error) return;
      const rule = textProblem(node.value);
      if (!rule) return;
      const names: string[] = [];
      // `ancestors` stops above `parent`.
      for (const ancestor of [
        ...(ancestors as readonly (ASTNode | readonly ASTNode[])[]),
        parent as ASTNode | readonly ASTNode[],
      ]) {
        if (Array.isArray(ancestor)) continue;
        const a = ancestor as ASTNode;
        if (a.kind === 'Argument' || a.kind === 'ObjectField') names.push(a.name.value);
      }
      const argument = names.join('.') || 'value';
      error = invalidText(`Argument "${argument}"`, names[0] ?? argument, node.value, rule);
    },
  });
  return error;
}

export function wellFormedTextPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const literal = findInDocument(document);
          if (literal) throw literal;
          const variables = request.variables;
          if (!variables || typeof variables !== 'object') return;
          for (const [name, value] of Object.entries(variables)) {
            const found = findInValue(value, `$${name}`);
            if (found) throw invalidText(`Variable "${shortPath(found.path)}"`, name, found.text, found.rule);
          }
        },
      };
    },
  };
}
