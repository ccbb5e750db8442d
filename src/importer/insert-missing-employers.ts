/**
 * Creates the employers that the staged rows name but the employer table lacks, one per
 * normalized name (see src/domain/normalize-employer.ts), named by the first spelling in file order (trimmed)
 * until upsertPostingsSql names it by its most frequent one.
 * The staging table needs the columns `company`, `employer_key` and `line`.
 */
export function insertMissingEmployersSql(stagingTable: string): string {
  return `INSERT INTO employer (name, normalized_name)
     SELECT DISTINCT ON (s.employer_key) btrim(regexp_replace(s.company, '\s+', ' ', 'g')), s.employer_key
     FROM ${stagingTable} s
     WHERE NOT EXISTS (SELECT 1 FROM employer e WHERE e.normalized_name = s.employer_key)
     ORDER BY s.employer_key, s.line
     ON CONFLICT (normalized_name) DO NOTHING`;
}
