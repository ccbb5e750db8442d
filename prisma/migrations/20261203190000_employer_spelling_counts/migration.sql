-- The postings of each (employer, spelling), with the earliest of them: an employer is named by
-- the most frequent spelling of its postings (on a tie, the earliest). The import reads these
-- counts for the employers a batch spells differently, where it used to count every posting of
-- those employers (at 10M postings, a sequential scan of posting per batch). Statement triggers
-- on posting keep them whoever writes (the importer, mutations, plain SQL): counts by deltas, so
-- that concurrent writers add up: the earliest posting again from posting when it goes.
CREATE TABLE "employer_spelling" (
    "employer_id" INTEGER NOT NULL,
    "spelling" TEXT NOT NULL,
    "postings" INTEGER NOT NULL,
    "first_posting_id" INTEGER,

    CONSTRAINT "employer_spelling_pkey" PRIMARY KEY ("employer_id","spelling")
);

ALTER TABLE "employer_spelling" ADD CONSTRAINT "employer_spelling_employer_id_fkey" FOREIGN KEY ("employer_id") REFERENCES "employer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "employer_spelling" ("employer_id", "spelling", "postings", "first_posting_id")
SELECT "employer_id", "company_name", count(*)::int, min("id") FROM "posting"
WHERE "company_name" IS NOT NULL GROUP BY 1, 2;

-- The earliest posting of a spelling finds its next one through this index when it goes.
CREATE INDEX "posting_employer_id_company_name_id_idx" ON "posting"("employer_id", "company_name", "id");

-- The bodies spell their semicolons as \073, as the earlier migrations do (some runners split
-- scripts on every semicolon).
-- Applies one statement's changes, a row each (employer, spelling, +1 or -1, posting id): the
-- counts by their sum (the earlier of the earliest postings kept), then a pair whose earliest
-- posting was removed finds its next one in posting (already changed: the triggers run after the
-- statement), then pairs left with no posting go. Every statement joins by key (no statement
-- per pair). Rows are written in key order, so that concurrent writers wait for each other
-- instead of deadlocking.
CREATE FUNCTION "employer_spelling_apply"(employers int[], spellings text[], signs int[], ids int[]) RETURNS void
LANGUAGE sql AS E'
  INSERT INTO "employer_spelling" AS es ("employer_id", "spelling", "postings", "first_posting_id")
  SELECT d.employer_id, d.spelling, sum(d.sign)::int, min(d.id) FILTER (WHERE d.sign > 0)
  FROM unnest(employers, spellings, signs, ids) AS d(employer_id, spelling, sign, id)
  WHERE d.spelling IS NOT NULL
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT ("employer_id", "spelling") DO UPDATE SET
    "postings" = es."postings" + EXCLUDED."postings",
    "first_posting_id" = least(es."first_posting_id", EXCLUDED."first_posting_id")\073
  UPDATE "employer_spelling" es
  SET "first_posting_id" = (SELECT min(x."id") FROM "posting" x WHERE x."employer_id" = es."employer_id" AND x."company_name" = es."spelling")
  FROM unnest(employers, spellings, signs, ids) AS d(employer_id, spelling, sign, id)
  WHERE d.sign < 0 AND es."employer_id" = d.employer_id AND es."spelling" = d.spelling AND es."first_posting_id" = d.id\073
  DELETE FROM "employer_spelling" es
  USING unnest(employers, spellings, signs) AS d(employer_id, spelling, sign)
  WHERE d.sign < 0 AND es."postings" <= 0 AND es."employer_id" = d.employer_id AND es."spelling" = d.spelling
';

CREATE FUNCTION "employer_spelling_inserted"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "employer_spelling_apply"(array_agg("employer_id"), array_agg("company_name"), array_agg(1), array_agg("id"))
  FROM new_rows WHERE "company_name" IS NOT NULL\073
  RETURN NULL\073
END 
';

-- Only the rows whose employer or spelling changed count (matched by id: a row whose id changed
-- counts as removed and added).
CREATE FUNCTION "employer_spelling_updated"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "employer_spelling_apply"(array_agg(c.employer_id), array_agg(c.spelling), array_agg(c.sign), array_agg(c.id))
  FROM (
    SELECT o."employer_id", o."company_name" AS spelling, -1 AS sign, o."id"
    FROM old_rows o LEFT JOIN new_rows n ON n."id" = o."id"
    WHERE o."company_name" IS NOT NULL
      AND (n."id" IS NULL OR (n."employer_id", n."company_name") IS DISTINCT FROM (o."employer_id", o."company_name"))
    UNION ALL
    SELECT n."employer_id", n."company_name", 1, n."id"
    FROM new_rows n LEFT JOIN old_rows o ON o."id" = n."id"
    WHERE n."company_name" IS NOT NULL
      AND (o."id" IS NULL OR (n."employer_id", n."company_name") IS DISTINCT FROM (o."employer_id", o."company_name"))
  ) c\073
  RETURN NULL\073
END 
';

CREATE FUNCTION "employer_spelling_deleted"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "employer_spelling_apply"(array_agg("employer_id"), array_agg("company_name"), array_agg(-1), array_agg("id"))
  FROM old_rows WHERE "company_name" IS NOT NULL\073
  RETURN NULL\073
END 
';

CREATE FUNCTION "employer_spelling_truncated"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  DELETE FROM "employer_spelling"\073
  RETURN NULL\073
END 
';

CREATE TRIGGER "posting_employer_spelling_inserted" AFTER INSERT ON "posting"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "employer_spelling_inserted"();
CREATE TRIGGER "posting_employer_spelling_updated" AFTER UPDATE ON "posting"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "employer_spelling_updated"();
CREATE TRIGGER "posting_employer_spelling_deleted" AFTER DELETE ON "posting"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "employer_spelling_deleted"();
CREATE TRIGGER "posting_employer_spelling_truncated" AFTER TRUNCATE ON "posting"
  FOR EACH STATEMENT EXECUTE FUNCTION "employer_spelling_truncated"();
