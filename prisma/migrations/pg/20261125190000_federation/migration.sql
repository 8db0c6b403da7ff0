-- CreateTable
CREATE TABLE "ConferenceLink" (
    "conferenceId" TEXT NOT NULL,
    "island" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConferenceLink_pkey" PRIMARY KEY ("conferenceId","island")
);

-- CreateTable
CREATE TABLE "FederationCursor" (
    "conferenceId" TEXT NOT NULL,
    "peer" TEXT NOT NULL,
    "ackedSeq" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "FederationCursor_pkey" PRIMARY KEY ("conferenceId","peer")
);

-- AddForeignKey
ALTER TABLE "ConferenceLink" ADD CONSTRAINT "ConferenceLink_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FederationCursor" ADD CONSTRAINT "FederationCursor_conferenceId_fkey" FOREIGN KEY ("conferenceId") REFERENCES "Conference"("id") ON DELETE CASCADE ON UPDATE CASCADE;
