/**
 * Creates the roles that the staged rows name but the role table lacks. A new role is titled by
 * the first row (in file order) that gives a roleTitle, else by its slug in Title Case
 * (`data-engineer` → `Data Engineer`). Existing roles are never retitled.
 * The staging table needs the columns `role`, `role_title` and `line`.
 */
export function insertMissingRolesSql(stagingTable: string): string {
  return `INSERT INTO role (slug, title)
     SELECT DISTINCT ON (s.role) s.role, COALESCE(s.role_title, initcap(replace(s.role, '-', ' ')))
     FROM ${stagingTable} s
     WHERE NOT EXISTS (SELECT 1 FROM role r WHERE r.slug = s.role)
     ORDER BY s.role, s.role_title IS NULL, s.line
     ON CONFLICT (slug) DO NOTHING`;
}
