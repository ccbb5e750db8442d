-- The degree requirement of a group as its label and level, beside group_degree_required, all
-- three taken from the same member: the earliest whose requirement is known (docs/methodology.md,
-- Duplicates across sources). Set on the earliest member of a group, null on the others.
-- (No semicolons in these comments: the WebAssembly schema engine splits statements at them.)
ALTER TABLE "posting" ADD COLUMN "group_education_requirement" "EducationRequirement",
ADD COLUMN "group_education_level" "EducationLevel";

-- Groups stored before: the same member as for group_degree_required, in the importer order
-- (posted_at, then source, then external_id, byte order).
UPDATE "posting" l SET "group_education_requirement" = d.requirement, "group_education_level" = d.level
FROM (
  SELECT DISTINCT ON (m."group_id") m."group_id",
         coalesce(m."education_requirement", CASE WHEN m."degree_required" THEN 'REQUIRED'::"EducationRequirement"
           ELSE 'NOT_MENTIONED'::"EducationRequirement" END) AS requirement,
         coalesce(m."education_level", CASE WHEN m."education_requirement" IS NULL AND m."degree_required" THEN 'ANY'::"EducationLevel" END) AS level
  FROM "posting" m
  WHERE m."group_id" IS NOT NULL AND m."degree_required" IS NOT NULL
  ORDER BY m."group_id", m."posted_at", m."source" COLLATE "C", m."external_id" COLLATE "C"
) d
WHERE l."id" = d."group_id";

UPDATE "posting" SET "group_education_requirement" = 'UNKNOWN'
WHERE "group_id" = "id" AND "group_education_requirement" IS NULL;
