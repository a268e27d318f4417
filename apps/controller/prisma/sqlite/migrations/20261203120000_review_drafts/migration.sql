-- A reviewer's unsaved mask strokes per event and user (issue #20: no lost work).

-- CreateTable
CREATE TABLE "ReviewDraft" (
    "eventId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "png" BLOB NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("eventId", "userId")
);
