-- CreateEnum
CREATE TYPE "JoinHandling" AS ENUM ('ALLOW', 'LOBBY', 'PIN');

-- CreateEnum
CREATE TYPE "ConferenceStatus" AS ENUM ('SCHEDULED', 'ACTIVE', 'ENDED');

-- CreateEnum
CREATE TYPE "SidebarKind" AS ENUM ('BY_VALUE', 'BY_REFERENCE');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMINISTRATOR', 'MODERATOR', 'PARTICIPANT', 'OBSERVER');

-- CreateEnum
CREATE TYPE "JoinState" AS ENUM ('INVITED', 'LOBBY', 'CONNECTED', 'DISCONNECTED');

-- CreateEnum
CREATE TYPE "FloorPolicy" AS ENUM ('MODERATED', 'FCFS');

-- CreateEnum
CREATE TYPE "FloorRequestStatus" AS ENUM ('PENDING', 'ACCEPTED', 'GRANTED', 'DENIED', 'CANCELLED', 'RELEASED', 'REVOKED');

-- CreateEnum
CREATE TYPE "TokenRole" AS ENUM ('ADMIN', 'INTEGRATOR', 'CONFERENCE');

-- CreateTable
CREATE TABLE "Blueprint" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "maxUsers" INTEGER NOT NULL DEFAULT 100,
    "joinHandling" "JoinHandling" NOT NULL DEFAULT 'ALLOW',
    "durationMin" INTEGER NOT NULL DEFAULT 60,
    "floors" TEXT NOT NULL DEFAULT '[{"label":"audio","policy":"MODERATED","maxHolders":1}]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Blueprint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Conference" (
    "id" TEXT NOT NULL,
    "blueprintId" TEXT,
    "parentId" TEXT,
    "sidebarKind" "SidebarKind",
    "subject" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "uri" TEXT NOT NULL,
    "dialInCode" TEXT NOT NULL,
    "maxUsers" INTEGER NOT NULL,
    "status" "ConferenceStatus" NOT NULL DEFAULT 'SCHEDULED',
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "joinHandling" "JoinHandling" NOT NULL,
    "pinHash" TEXT,
    "startAt" TIMESTAMP(3) NOT NULL,
    "durationMin" INTEGER NOT NULL,
    "rrule" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "homeIsland" TEXT NOT NULL,
    "eventSeq" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Conference_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConferenceUser" (
    "id" TEXT NOT NULL,
    "conferenceId" TEXT NOT NULL,
    "entity" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "email" TEXT,
    "role" "Role" NOT NULL DEFAULT 'PARTICIPANT',
    "pinHash" TEXT,
    "joinState" "JoinState" NOT NULL DEFAULT 'INVITED',
    "via" TEXT,
    "island" TEXT NOT NULL,
    "muted" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConferenceUser_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Floor" (
    "id" TEXT NOT NULL,
    "conferenceId" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "policy" "FloorPolicy" NOT NULL DEFAULT 'MODERATED',
    "maxHolders" INTEGER NOT NULL DEFAULT 1,
    "requestSeq" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Floor_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FloorRequest" (
    "id" TEXT NOT NULL,
    "floorId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "status" "FloorRequestStatus" NOT NULL DEFAULT 'PENDING',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "queueSeq" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FloorRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" SERIAL NOT NULL,
    "conferenceId" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "actor" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "role" "TokenRole" NOT NULL,
    "conferenceId" TEXT,
    "userId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Blueprint_name_key" ON "Blueprint"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Conference_uri_key" ON "Conference"("uri");

-- CreateIndex
CREATE UNIQUE INDEX "Conference_dialInCode_key" ON "Conference"("dialInCode");

-- CreateIndex
CREATE INDEX "Conference_startAt_idx" ON "Conference"("startAt");

-- CreateIndex
CREATE INDEX "Conference_status_idx" ON "Conference"("status");

-- CreateIndex
CREATE UNIQUE INDEX "ConferenceUser_conferenceId_entity_key" ON "ConferenceUser"("conferenceId", "entity");

-- CreateIndex
CREATE UNIQUE INDEX "Floor_conferenceId_label_key" ON "Floor"("conferenceId", "label");

-- CreateIndex
CREATE INDEX "FloorRequest_floorId_status_idx" ON "FloorRequest"("floorId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Event_conferenceId_origin_seq_key" ON "Event"("conferenceId", "origin", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_secretHash_key" ON "ApiToken"("secretHash");

-- AddForeignKey
ALTER TABLE "Conference" ADD CONSTRAINT "Conference_blueprintId_fkey" FOREIGN KEY ("blueprintId") REFERENCES "Blueprint"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Conference" ADD CONSTRAINT "Conference_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Conference"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConferenceUser" ADD CONSTRAINT "ConferenceUser_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Floor" ADD CONSTRAINT "Floor_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FloorRequest" ADD CONSTRAINT "FloorRequest_floorId_fkey" FOREIGN KEY ("floorId") REFERENCES "Floor"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FloorRequest" ADD CONSTRAINT "FloorRequest_userId_fkey" FOREIGN KEY ("userId") REFERENCES "ConferenceUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Event" ADD CONSTRAINT "Event_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "ConferenceUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;
