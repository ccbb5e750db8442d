-- AlterTable
ALTER TABLE "posting" ADD COLUMN     "dedupe_key" TEXT,
ADD COLUMN     "group_degree_required" BOOLEAN,
ADD COLUMN     "group_id" INTEGER,
ADD COLUMN     "group_salary_posting_id" INTEGER,
ADD COLUMN     "group_size" INTEGER NOT NULL DEFAULT 1;

-- CreateIndex
CREATE INDEX "posting_group_id_idx" ON "posting"("group_id");

-- CreateIndex
CREATE INDEX "posting_employer_id_dedupe_key_posted_at_idx" ON "posting"("employer_id", "dedupe_key", "posted_at");

