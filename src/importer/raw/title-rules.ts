/**
 * Roles from job titles. A rule names a role and the phrases that put a title in it:
 * `{"role": "data-scientist", "title": "Data Scientist", "include": ["data scientist"], "exclude": ["intern"]}`.
 * Titles and phrases are compared after Unicode NFKC, case folding and punctuation to spaces
 * (runs of spaces collapsed); a phrase matches on word boundaries ("scientist" matches
 * "Sr. Data Scientist - NLP" but not "scientists"). The first rule with a matching include
 * phrase and no matching exclude phrase wins. Pure: no database, no I/O.
 */

export interface TitleRule {
  role: string;
  /** Title of the role when the import creates it. */
  title: string | null;
  include: string[];
  exclude: string[];
}

/** NFKC, case-folded (upper then lower, so ß and SS agree), every run of non-letters/digits one space. */
export function normalizeTitle(text: string): string {
  return text
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

interface CompiledRule {
  rule: TitleRule;
  include: string[];
  exclude: string[];
}

export class TitleClassifier {
  private readonly compiled: CompiledRule[];

  constructor(readonly rules: readonly TitleRule[]) {
    const padded = (phrases: string[]): string[] =>
      phrases.map((p) => ` ${normalizeTitle(p)} `).filter((p) => p.trim() !== '');
    this.compiled = rules.map((rule) => ({ rule, include: padded(rule.include), exclude: padded(rule.exclude) }));
  }

  /** The first rule whose include matches and whose exclude does not, or null. */
  classify(title: string): TitleRule | null {
    const t = ` ${normalizeTitle(title)} `;
    for (const { rule, include, exclude } of this.compiled) {
      if (include.some((p) => t.includes(p)) && !exclude.some((p) => t.includes(p))) return rule;
    }
    return null;
  }
}

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Why a rules file cannot be used: names the rule (1-based) and what is wrong. */
export class TitleRulesError extends Error {}

function phrases(value: unknown, where: string, field: string, required: boolean): string[] {
  if (value === undefined || value === null) {
    if (required) throw new TitleRulesError(`${where}: "${field}" is required: a non-empty list of title phrases`);
    return [];
  }
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || normalizeTitle(p) === '')) {
    throw new TitleRulesError(`${where}: "${field}" must be a list of non-empty phrases, got ${JSON.stringify(value)}`);
  }
  if (required && value.length === 0) throw new TitleRulesError(`${where}: "${field}" must not be empty`);
  return value as string[];
}

/**
 * Checks a parsed rules file: a JSON list of rules, each an object with a slug `role`, a
 * non-empty `include` list, an optional `exclude` list and an optional `title`.
 */
export function parseTitleRules(value: unknown, source: string): TitleRule[] {
  if (!Array.isArray(value))
    throw new TitleRulesError(`${source}: must be a JSON list of rules ([{"role": "...", "include": ["..."]}, ...])`);
  return value.map((raw, i) => {
    const where = `${source}: rule ${i + 1}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new TitleRulesError(`${where}: must be an object, got ${JSON.stringify(raw)}`);
    const r = raw as Record<string, unknown>;
    if (typeof r.role !== 'string' || !SLUG.test(r.role) || r.role.length > 100) {
      throw new TitleRulesError(
        `${where}: "role" must be a role slug such as data-scientist, got ${JSON.stringify(r.role)}`,
      );
    }
    if (r.title !== undefined && r.title !== null && (typeof r.title !== 'string' || r.title.trim() === '')) {
      throw new TitleRulesError(`${where} (role ${r.role}): "title" must be non-empty text`);
    }
    const unknown = Object.keys(r).filter((k) => !['role', 'title', 'include', 'exclude'].includes(k));
    if (unknown.length > 0)
      throw new TitleRulesError(
        `${where} (role ${r.role}): unknown key ${JSON.stringify(unknown[0])} (a rule has role, title, include, exclude)`,
      );
    return {
      role: r.role,
      title: typeof r.title === 'string' ? r.title.trim() : null,
      include: phrases(r.include, `${where} (role ${r.role})`, 'include', true),
      exclude: phrases(r.exclude, `${where} (role ${r.role})`, 'exclude', false),
    };
  });
}
