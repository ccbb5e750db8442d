-- Indexes for figures and lists that do not read the posting table (docs/scale.md).
-- The INCLUDE columns cannot be written in schema.prisma: prisma/drift-exceptions.sql lists
-- what `prisma migrate diff` reports for them, and .ci/run accepts exactly that.

-- Role's postings in posting order (keyset lists, trends), covering the figures' columns so
-- that openings, employers and the degree share are an index-only scan.
DROP INDEX "posting_role_id_posted_at_idx";
CREATE INDEX "posting_role_id_posted_at_id_idx" ON "posting"("role_id", "posted_at", "id") INCLUDE ("closed_at", "employer_id", "degree_required");

-- Employer's postings in posting order (keyset lists).
DROP INDEX "posting_employer_id_idx";
CREATE INDEX "posting_employer_id_posted_at_id_idx" ON "posting"("employer_id", "posted_at", "id");

-- A role's salary observations by posting (posting-derived) or without one (reports), with the amount.
DROP INDEX "salary_observation_role_id_observed_at_idx";
CREATE INDEX "salary_observation_role_id_posting_id_idx" ON "salary_observation"("role_id", "posting_id") INCLUDE ("amount_usd", "observed_at");
