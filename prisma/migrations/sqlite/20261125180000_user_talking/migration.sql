-- AlterTable
ALTER TABLE "ConferenceUser" ADD COLUMN "talking" BOOLEAN NOT NULL DEFAULT false;
