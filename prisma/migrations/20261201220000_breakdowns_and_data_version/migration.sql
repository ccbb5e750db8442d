-- Employment type of a posting as given (full-time, contract...), grouped by its text key.
ALTER TABLE "posting" ADD COLUMN "employment_type" TEXT NULL;

-- The key a location (or any free-text group value) is grouped and filtered by: NFKC, lower
-- case, punctuation and white space runs turned into one space, trimmed, null when nothing is
-- left. Both sides of the location filter go through it, so they always agree.
CREATE FUNCTION "text_key"(value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
  AS $$ SELECT nullif(btrim(regexp_replace(lower(normalize(value, NFKC)), '[[:punct:][:space:]]+', ' ', 'g')), '') $$;

-- The data version behind ETags: the sum of these counters, bumped by every statement that
-- writes the tables figures are computed from. Sixteen slots (by backend) so that concurrent
-- writers rarely wait on each other, the bump runs BEFORE the statement so that a transaction
-- takes its slot before any row lock (so no deadlock with the rows it then writes). Being a
-- table row, a bump becomes visible exactly when its transaction commits.
CREATE TABLE "data_version" (
    "slot" INTEGER NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "data_version_pkey" PRIMARY KEY ("slot")
);
INSERT INTO "data_version" ("slot") SELECT s FROM generate_series(0, 15) s;

-- The body spells its semicolons as \073 because some migration runners split scripts on every
-- semicolon, even inside quotes.
CREATE FUNCTION "bump_data_version"() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN UPDATE data_version SET version = version + 1 WHERE slot = pg_backend_pid() % 16\073 RETURN NULL\073 END';

CREATE TRIGGER "posting_data_version" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "posting"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "salary_observation_data_version" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "salary_observation"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "exchange_rate_data_version" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "exchange_rate"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "role_data_version" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "role"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "responsibility_data_version" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "responsibility"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "career_step_data_version" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "career_step"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "employer_data_version" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "employer"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
