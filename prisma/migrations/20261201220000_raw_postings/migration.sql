-- CreateEnum
CREATE TYPE "EducationRequirement" AS ENUM ('REQUIRED', 'REQUIRED_OR_EQUIVALENT', 'PREFERRED', 'NOT_MENTIONED', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "EducationLevel" AS ENUM ('ASSOCIATE', 'BACHELOR', 'MASTER', 'DOCTORATE', 'ANY');

-- CreateEnum
CREATE TYPE "EducationOrigin" AS ENUM ('STATED', 'TEXT');

-- AlterTable (employment_type comes with 20261201220000_breakdowns_and_data_version)
ALTER TABLE "posting" ADD COLUMN     "description" TEXT,
ADD COLUMN     "education_evidence" TEXT,
ADD COLUMN     "education_level" "EducationLevel",
ADD COLUMN     "education_origin" "EducationOrigin",
ADD COLUMN     "education_requirement" "EducationRequirement",
ADD COLUMN     "salary_estimated" BOOLEAN,
ADD COLUMN     "salary_text" TEXT,
ADD COLUMN     "url" TEXT;

-- Rows imported before: a stated degreeRequired keeps meaning REQUIRED / NOT_MENTIONED.
UPDATE "posting" SET "education_requirement" = CASE WHEN "degree_required" THEN 'REQUIRED'::"EducationRequirement" ELSE 'NOT_MENTIONED'::"EducationRequirement" END,
  "education_level" = CASE WHEN "degree_required" THEN 'ANY'::"EducationLevel" END,
  "education_origin" = 'STATED'
WHERE "degree_required" IS NOT NULL;
