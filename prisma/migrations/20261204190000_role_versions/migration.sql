-- Per-role data versions, so that a role's figure snapshot (figure_snapshot) outlives writes to
-- other roles: before, any write ended every role's rows, and after a one-role import or a single
-- mutation every other role's page computed again (at 10M postings, longer than the statement
-- timeout for the largest role). A role's version is the sum of its slots here, bumped by every
-- statement that writes a posting or salary observation of the role, or a posting in a group of
-- duplicates the role's posting leads (a member's dates decide whether the group is open, whatever
-- the member's role). The slot is the writer's data_version slot, whose row the writer locked
-- first (the BEFORE triggers), so that no two transactions write one row here at once and none
-- waits for another here.
CREATE TABLE "role_version" (
    "role_id" INTEGER NOT NULL,
    "slot" INTEGER NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "role_version_pkey" PRIMARY KEY ("role_id","slot")
);

-- What ends every role's rows at once: a TRUNCATE of posting or salary_observation (no
-- transition table names its roles). Bumped together with data_version.version. Exchange rates
-- do not bump it: the stored panels are in US dollars, whose rate is 1 whatever the table holds
-- (amount_usd is converted when a row is written, and a reprocess that converts again rewrites
-- the rows, which bumps their roles).
ALTER TABLE "data_version" ADD COLUMN "shared" BIGINT NOT NULL DEFAULT 0;

-- A snapshot row now holds the shared version (version) and its role's version (role_version)
-- as they were on the snapshot it was computed on. Rows stored under the earlier rule go: the
-- next import stores them again.
DELETE FROM "figure_snapshot";
ALTER TABLE "figure_snapshot" ADD COLUMN "role_version" TEXT NOT NULL;

-- The bodies spell their semicolons as \073, as the earlier migrations do (some runners split
-- scripts on every semicolon).
CREATE FUNCTION "bump_shared_version"() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN UPDATE data_version SET version = version + 1, shared = shared + 1 WHERE slot = pg_backend_pid() % 16\073 RETURN NULL\073 END';

CREATE TRIGGER "posting_shared_version" BEFORE TRUNCATE ON "posting"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_shared_version"();
CREATE TRIGGER "salary_observation_shared_version" BEFORE TRUNCATE ON "salary_observation"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_shared_version"();

-- One statement's roles, each once, in role order.
CREATE FUNCTION "role_version_bump"(roles int[]) RETURNS void LANGUAGE sql AS E'
  INSERT INTO "role_version" AS v ("role_id", "slot", "version")
  SELECT DISTINCT r, pg_backend_pid() % 16, 1 FROM unnest(roles) AS r WHERE r IS NOT NULL ORDER BY 1
  ON CONFLICT ("role_id", "slot") DO UPDATE SET "version" = v."version" + 1
';

-- The roles of the rows written and of the postings leading their groups (as they are after the
-- statement). The leaders by = ANY(ARRAY(...)): probes of the primary key, where IN let the planner,
-- which cannot size a transition table, scan every posting.
CREATE FUNCTION "posting_role_version_inserted"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "role_version_bump"(array_agg(t.r)) FROM (
    SELECT n."role_id" AS r FROM new_rows n
    UNION SELECT p."role_id" FROM "posting" p WHERE p."id" = ANY(ARRAY(SELECT n."group_id" FROM new_rows n WHERE n."group_id" IS NOT NULL))
  ) t\073
  RETURN NULL\073
END
';

CREATE FUNCTION "posting_role_version_updated"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "role_version_bump"(array_agg(t.r)) FROM (
    SELECT n."role_id" AS r FROM new_rows n
    UNION SELECT o."role_id" FROM old_rows o
    UNION SELECT p."role_id" FROM "posting" p
    WHERE p."id" = ANY(ARRAY(
      SELECT n."group_id" FROM new_rows n WHERE n."group_id" IS NOT NULL
      UNION SELECT o."group_id" FROM old_rows o WHERE o."group_id" IS NOT NULL
    ))
  ) t\073
  RETURN NULL\073
END
';

CREATE FUNCTION "posting_role_version_deleted"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "role_version_bump"(array_agg(t.r)) FROM (
    SELECT o."role_id" AS r FROM old_rows o
    UNION SELECT p."role_id" FROM "posting" p WHERE p."id" = ANY(ARRAY(SELECT o."group_id" FROM old_rows o WHERE o."group_id" IS NOT NULL))
  ) t\073
  RETURN NULL\073
END
';

CREATE TRIGGER "posting_role_version_inserted" AFTER INSERT ON "posting"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "posting_role_version_inserted"();
CREATE TRIGGER "posting_role_version_updated" AFTER UPDATE ON "posting"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "posting_role_version_updated"();
CREATE TRIGGER "posting_role_version_deleted" AFTER DELETE ON "posting"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "posting_role_version_deleted"();

CREATE FUNCTION "observation_role_version_inserted"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "role_version_bump"(array_agg(DISTINCT n."role_id")) FROM new_rows n\073
  RETURN NULL\073
END
';

CREATE FUNCTION "observation_role_version_updated"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "role_version_bump"(array_agg(t.r)) FROM (
    SELECT n."role_id" AS r FROM new_rows n UNION SELECT o."role_id" FROM old_rows o
  ) t\073
  RETURN NULL\073
END
';

CREATE FUNCTION "observation_role_version_deleted"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM "role_version_bump"(array_agg(DISTINCT o."role_id")) FROM old_rows o\073
  RETURN NULL\073
END
';

CREATE TRIGGER "observation_role_version_inserted" AFTER INSERT ON "salary_observation"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "observation_role_version_inserted"();
CREATE TRIGGER "observation_role_version_updated" AFTER UPDATE ON "salary_observation"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "observation_role_version_updated"();
CREATE TRIGGER "observation_role_version_deleted" AFTER DELETE ON "salary_observation"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "observation_role_version_deleted"();
