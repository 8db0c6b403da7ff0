-- CreateTable
CREATE TABLE "ConferenceLink" (
    "conferenceId" TEXT NOT NULL,
    "island" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("conferenceId", "island"),
    CONSTRAINT "ConferenceLink_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FederationCursor" (
    "conferenceId" TEXT NOT NULL,
    "peer" TEXT NOT NULL,
    "ackedSeq" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("conferenceId", "peer"),
    CONSTRAINT "FederationCursor_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
