-- The figure cache (src/stats/figure-cache.ts) keeps a role's figures until the next instant at
-- which any posting opens or closes or a salary report starts to count: three index probes
-- (min of each column after now) instead of reading the tables.
CREATE INDEX "posting_posted_at_idx" ON "posting"("posted_at");
CREATE INDEX "posting_closed_at_idx" ON "posting"("closed_at");
CREATE INDEX "salary_observation_observed_at_idx" ON "salary_observation"("observed_at");
