-- The figures count each group of duplicates once, reading the group columns of its earliest
-- member (group_id, group_size, the group's salary posting and degree requirement) and the
-- posting's own education label. The covering index of a role's postings carries them too, so
-- that a role's uncached figures are an index-only scan: without them every figure read all of
-- the role's heap pages (659 ms for the largest role at 1M postings, 193 ms with them).
-- prisma/index-exceptions.json lists the index, and prisma/expected-drift.sql stays as it was (same name and keys).
DROP INDEX "posting_role_id_posted_at_id_idx";
CREATE INDEX "posting_role_id_posted_at_id_idx" ON "posting"("role_id", "posted_at", "id")
  INCLUDE ("closed_at", "employer_id", "degree_required", "group_id", "group_size", "group_salary_posting_id",
           "group_degree_required", "education_requirement", "education_level", "group_education_requirement", "group_education_level");
