/**
 * A posting's seniority: the stated one, else inferred from its title by the first rule that
 * matches (case-insensitive, whole words):
 *   LEAD   lead, principal, staff, head, architect, manager, director
 *   SENIOR senior, sr
 *   JUNIOR junior, jr, intern, internship, trainee, graduate, entry level, entry-level
 *   MID    mid, mid-level, intermediate, "II" or "2" as a level (Engineer II)
 * and null when none matches. Written in SQL so that filters and lists agree.
 */
export function senioritySql(alias: string): string {
  const t = `${alias}.title`;
  return `coalesce(${alias}.seniority, CASE
    WHEN ${t} ~* '\\m(lead|principal|staff|head|architect|manager|director)\\M' THEN 'LEAD'::"Seniority"
    WHEN ${t} ~* '\\m(senior|sr)\\M' THEN 'SENIOR'::"Seniority"
    WHEN ${t} ~* '\\m(junior|jr|intern|internship|trainee|graduate|entry[- ]level)\\M' THEN 'JUNIOR'::"Seniority"
    WHEN ${t} ~* '\\m(mid|mid-level|intermediate)\\M' OR ${t} ~ '\\m(II|2)\\M' THEN 'MID'::"Seniority"
  END)`;
}
