-- The update trigger of employer_spelling paired old and new rows with a LEFT JOIN of the two
-- transition tables. PL/pgSQL keeps the first plan of a session, and after a small update (one
-- row, as a mutation or a regrouping writes) that plan is a nested loop: quadratic in the rows of
-- a later, large update (11,000 rows took 32.7 s, against 0.46 s as the first of a session).
-- Now the two tables are appended and each (id, employer, spelling) whose removal and addition
-- cancel is dropped by grouping, whose cost is linear whatever plan the session keeps. The
-- pairs are the same: a row whose employer or spelling changed counts as removed and added, a row
-- whose id changed too, and an unchanged row not at all.
CREATE OR REPLACE FUNCTION "employer_spelling_updated"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "employer_spelling_apply"(array_agg(c.employer_id), array_agg(c.spelling), array_agg(c.sign), array_agg(c.id))
  FROM (
    SELECT d."employer_id", d.spelling, sum(d.sign)::int AS sign, d."id"
    FROM (
      SELECT o."employer_id", o."company_name" AS spelling, -1 AS sign, o."id" FROM old_rows o WHERE o."company_name" IS NOT NULL
      UNION ALL
      SELECT n."employer_id", n."company_name", 1, n."id" FROM new_rows n WHERE n."company_name" IS NOT NULL
    ) d
    GROUP BY d."id", d."employer_id", d.spelling
    HAVING sum(d.sign) <> 0
  ) c\073
  RETURN NULL\073
END
';
