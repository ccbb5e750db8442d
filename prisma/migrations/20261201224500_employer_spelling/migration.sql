-- The employer name as this posting spelled it (trimmed, white space collapsed): an employer is
-- shown by the most frequent spelling of its postings.
ALTER TABLE "posting" ADD COLUMN "company_name" TEXT NULL;

UPDATE "posting" p SET "company_name" = btrim(regexp_replace(e."name", '\s+', ' ', 'g'))
FROM "employer" e WHERE e."id" = p."employer_id";

UPDATE "employer" SET "name" = btrim(regexp_replace("name", '\s+', ' ', 'g'))
WHERE "name" IS DISTINCT FROM btrim(regexp_replace("name", '\s+', ' ', 'g'));
