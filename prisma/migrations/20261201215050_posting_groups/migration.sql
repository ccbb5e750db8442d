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

-- Until `npm run reprocess` computes their keys, existing postings are groups of one.
UPDATE "posting" SET "group_id" = "id",
  "group_salary_posting_id" = CASE WHEN "salary_min" IS NOT NULL OR "salary_max" IS NOT NULL THEN "id" END,
  "group_degree_required" = "degree_required";

