-- CreateTable
CREATE TABLE "Blueprint" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "maxUsers" INTEGER NOT NULL DEFAULT 100,
    "joinHandling" TEXT NOT NULL DEFAULT 'ALLOW',
    "durationMin" INTEGER NOT NULL DEFAULT 60,
    "floors" TEXT NOT NULL DEFAULT '[{"label":"audio","policy":"MODERATED","maxHolders":1}]',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Conference" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "blueprintId" TEXT,
    "parentId" TEXT,
    "sidebarKind" TEXT,
    "subject" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "uri" TEXT NOT NULL,
    "dialInCode" TEXT NOT NULL,
    "maxUsers" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'SCHEDULED',
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "joinHandling" TEXT NOT NULL,
    "pinHash" TEXT,
    "startAt" DATETIME NOT NULL,
    "durationMin" INTEGER NOT NULL,
    "rrule" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "homeIsland" TEXT NOT NULL,
    "eventSeq" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Conference_blueprintId_fkey" FOREIGN KEY ("blueprintId") REFERENCES "Blueprint" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Conference_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Conference" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ConferenceUser" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "conferenceId" TEXT NOT NULL,
    "entity" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "email" TEXT,
    "role" TEXT NOT NULL DEFAULT 'PARTICIPANT',
    "pinHash" TEXT,
    "joinState" TEXT NOT NULL DEFAULT 'INVITED',
    "via" TEXT,
    "island" TEXT NOT NULL,
    "muted" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ConferenceUser_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Floor" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "conferenceId" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "policy" TEXT NOT NULL DEFAULT 'MODERATED',
    "maxHolders" INTEGER NOT NULL DEFAULT 1,
    "requestSeq" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "Floor_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FloorRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "floorId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "queueSeq" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "FloorRequest_floorId_fkey" FOREIGN KEY ("floorId") REFERENCES "Floor" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "FloorRequest_userId_fkey" FOREIGN KEY ("userId") REFERENCES "ConferenceUser" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Event" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "conferenceId" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "actor" TEXT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Event_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "conferenceId" TEXT,
    "userId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" DATETIME,
    CONSTRAINT "ApiToken_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "ConferenceUser" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
