-- The filters on a source, a country or remote work, the source mix and the country breakdown
-- read those columns of each of the role's postings: with them in the covering index of a
-- role's postings these figures are index-only scans too, as the unfiltered ones (a role page's
-- source mix read all of the role's heap pages: 520 ms for the largest role at 1M postings).
-- prisma/index-exceptions.json lists the index, and prisma/expected-drift.sql stays as it was (same name and keys).
DROP INDEX "posting_role_id_posted_at_id_idx";
CREATE INDEX "posting_role_id_posted_at_id_idx" ON "posting"("role_id", "posted_at", "id")
  INCLUDE ("closed_at", "employer_id", "degree_required", "group_id", "group_size", "group_salary_posting_id",
           "group_degree_required", "education_requirement", "education_level", "group_education_requirement", "group_education_level",
           "source", "country", "remote");
