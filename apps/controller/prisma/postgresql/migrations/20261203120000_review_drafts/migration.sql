-- A reviewer's unsaved mask strokes per event and user (issue #20: no lost work).

-- CreateTable
CREATE TABLE "ReviewDraft" (
    "eventId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "png" BYTEA NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReviewDraft_pkey" PRIMARY KEY ("eventId","userId")
);
