-- A role's postings in salary order (role.postings ordered by SALARY) are read in the order of this
-- index, a page at a time, instead of sorting every open posting of the role.
CREATE INDEX "salary_observation_role_id_amount_usd_posting_id_idx" ON "salary_observation"("role_id", "amount_usd", "posting_id");
