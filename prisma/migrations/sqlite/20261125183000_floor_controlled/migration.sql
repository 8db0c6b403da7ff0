-- AlterTable
ALTER TABLE "Conference" ADD COLUMN "floorControlled" BOOLEAN NOT NULL DEFAULT false;
