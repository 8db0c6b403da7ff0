-- CreateTable
CREATE TABLE "SipDialog" (
    "callId" TEXT NOT NULL,
    "localTag" TEXT NOT NULL,
    "remoteTag" TEXT NOT NULL,
    "island" TEXT NOT NULL,
    "conferenceId" TEXT NOT NULL,
    "userId" TEXT,
    "localUri" TEXT NOT NULL,
    "remoteUri" TEXT NOT NULL,
    "remoteTarget" TEXT NOT NULL,
    "routeSet" TEXT NOT NULL DEFAULT '[]',
    "localCSeq" INTEGER NOT NULL,
    "localContact" TEXT NOT NULL,
    "transport" TEXT NOT NULL,
    "peerAddress" TEXT NOT NULL,
    "peerPort" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SipDialog_pkey" PRIMARY KEY ("callId","localTag","remoteTag")
);

-- CreateIndex
CREATE INDEX "SipDialog_island_idx" ON "SipDialog"("island");
