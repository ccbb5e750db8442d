-- DropIndex
DROP INDEX "posting_role_id_posted_at_id_idx";

-- DropIndex
DROP INDEX "salary_observation_role_id_posting_id_idx";

-- CreateIndex
CREATE INDEX "posting_role_id_posted_at_id_idx" ON "posting"("role_id", "posted_at", "id");

-- CreateIndex
CREATE INDEX "salary_observation_role_id_posting_id_idx" ON "salary_observation"("role_id", "posting_id");

