-- CreateEnum
CREATE TYPE "SalaryPeriod" AS ENUM ('HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR');

-- CreateEnum
CREATE TYPE "Seniority" AS ENUM ('JUNIOR', 'MID', 'SENIOR', 'LEAD');

-- CreateTable
CREATE TABLE "role" (
    "id" SERIAL NOT NULL,
    "slug" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "summary" TEXT,
    "responsibilities_intro" TEXT,
    "career_intro" TEXT,
    "career_steps_intro" TEXT,
    "conclusion" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "role_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "responsibility" (
    "id" SERIAL NOT NULL,
    "role_id" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "text" TEXT NOT NULL,

    CONSTRAINT "responsibility_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "career_step" (
    "id" SERIAL NOT NULL,
    "role_id" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "text" TEXT NOT NULL,

    CONSTRAINT "career_step_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "employer" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "normalized_name" TEXT NOT NULL,

    CONSTRAINT "employer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "posting" (
    "id" SERIAL NOT NULL,
    "role_id" INTEGER NOT NULL,
    "employer_id" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "title" TEXT,
    "location" TEXT,
    "country" CHAR(2),
    "remote" BOOLEAN,
    "salary_min" DOUBLE PRECISION,
    "salary_max" DOUBLE PRECISION,
    "salary_currency" CHAR(3),
    "salary_period" "SalaryPeriod",
    "degree_required" BOOLEAN,
    "seniority" "Seniority",
    "posted_at" TIMESTAMPTZ(3) NOT NULL,
    "closed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "posting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "salary_observation" (
    "id" SERIAL NOT NULL,
    "role_id" INTEGER NOT NULL,
    "posting_id" INTEGER,
    "source" TEXT NOT NULL,
    "external_id" TEXT,
    "amount" DOUBLE PRECISION NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "period" "SalaryPeriod" NOT NULL,
    "amount_usd" DOUBLE PRECISION NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,
    "country" CHAR(2),

    CONSTRAINT "salary_observation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "exchange_rate" (
    "currency" CHAR(3) NOT NULL,
    "as_of" DATE NOT NULL,
    "usd_per_unit" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "exchange_rate_pkey" PRIMARY KEY ("currency","as_of")
);

-- CreateIndex
CREATE UNIQUE INDEX "role_slug_key" ON "role"("slug");

-- CreateIndex
CREATE INDEX "role_title_idx" ON "role"("title");

-- CreateIndex
CREATE UNIQUE INDEX "responsibility_role_id_position_key" ON "responsibility"("role_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "career_step_role_id_position_key" ON "career_step"("role_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "employer_normalized_name_key" ON "employer"("normalized_name");

-- CreateIndex
CREATE INDEX "posting_role_id_posted_at_idx" ON "posting"("role_id", "posted_at");

-- CreateIndex
CREATE INDEX "posting_employer_id_idx" ON "posting"("employer_id");

-- CreateIndex
CREATE UNIQUE INDEX "posting_source_external_id_key" ON "posting"("source", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "salary_observation_posting_id_key" ON "salary_observation"("posting_id");

-- CreateIndex
CREATE INDEX "salary_observation_role_id_observed_at_idx" ON "salary_observation"("role_id", "observed_at");

-- CreateIndex
CREATE UNIQUE INDEX "salary_observation_source_external_id_key" ON "salary_observation"("source", "external_id");

-- AddForeignKey
ALTER TABLE "responsibility" ADD CONSTRAINT "responsibility_role_id_fkey" FOREIGN KEY ("role_id") REFERENCES "role"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "career_step" ADD CONSTRAINT "career_step_role_id_fkey" FOREIGN KEY ("role_id") REFERENCES "role"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "posting" ADD CONSTRAINT "posting_role_id_fkey" FOREIGN KEY ("role_id") REFERENCES "role"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "posting" ADD CONSTRAINT "posting_employer_id_fkey" FOREIGN KEY ("employer_id") REFERENCES "employer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "salary_observation" ADD CONSTRAINT "salary_observation_role_id_fkey" FOREIGN KEY ("role_id") REFERENCES "role"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "salary_observation" ADD CONSTRAINT "salary_observation_posting_id_fkey" FOREIGN KEY ("posting_id") REFERENCES "posting"("id") ON DELETE CASCADE ON UPDATE CASCADE;
