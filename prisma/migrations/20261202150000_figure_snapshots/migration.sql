-- A role's default figures as an import computed them right after writing to the role
-- (src/stats/figure-snapshots.ts), so that the first reader after the write, in any process,
-- reads one row instead of computing them. A row answers only a snapshot with the same data
-- version (sum of data_version) and an instant in [valid_from, valid_until): no trigger bumps
-- the version here, as these rows change no figure.
CREATE TABLE "figure_snapshot" (
    "kind" TEXT NOT NULL,
    "role_id" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_until" TIMESTAMPTZ(3),
    "value" JSONB NOT NULL,

    CONSTRAINT "figure_snapshot_pkey" PRIMARY KEY ("kind","role_id")
);

-- Every read session asks whether any row holds the current version (figureWindowSql): one probe.
CREATE INDEX "figure_snapshot_version_idx" ON "figure_snapshot"("version");

ALTER TABLE "figure_snapshot" ADD CONSTRAINT "figure_snapshot_role_id_fkey" FOREIGN KEY ("role_id") REFERENCES "role"("id") ON DELETE CASCADE ON UPDATE CASCADE;
