-- Where a posting's role and salary came from, so that npm run reprocess can derive them again
-- from the title and the salary text after the rules changed (docs/methodology.md).
-- Postings stored before are all STATED (their salary STATED when they have one): nothing changes for them.
-- (No semicolons in these comments: the WebAssembly schema engine splits statements at them.)
CREATE TYPE "RoleOrigin" AS ENUM ('STATED', 'TITLE');

CREATE TYPE "SalaryOrigin" AS ENUM ('STATED', 'TEXT');

ALTER TABLE "posting" ADD COLUMN "role_origin" "RoleOrigin" NOT NULL DEFAULT 'STATED',
ADD COLUMN "salary_origin" "SalaryOrigin";

UPDATE "posting" SET "salary_origin" = 'STATED' WHERE "salary_min" IS NOT NULL OR "salary_max" IS NOT NULL;
