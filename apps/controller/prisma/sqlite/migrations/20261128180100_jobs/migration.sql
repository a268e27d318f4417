-- Training jobs and their immutable dataset snapshots (issue #7).

-- CreateTable
CREATE TABLE "DatasetSnapshot" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "line" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "digest" TEXT NOT NULL,
    "heldOutFraction" REAL NOT NULL,
    "counts" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "DatasetItem" (
    "snapshotId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "split" TEXT NOT NULL,
    "label" INTEGER NOT NULL,
    "line" TEXT NOT NULL,
    "camera" TEXT NOT NULL,
    "frameRef" TEXT NOT NULL,
    "maskRef" TEXT,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,

    PRIMARY KEY ("snapshotId", "eventId")
);

-- CreateTable
CREATE TABLE "TrainingJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "line" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "parentVersion" TEXT,
    "targetVersion" TEXT NOT NULL,
    "datasetSnapshotId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "maxAttempts" INTEGER NOT NULL,
    "leaseId" TEXT,
    "leaseOwner" TEXT,
    "leaseExpiresAt" DATETIME,
    "progress" TEXT,
    "packageRef" TEXT,
    "resultVersion" TEXT,
    "metrics" TEXT,
    "threshold" REAL,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "finishedAt" DATETIME
);

-- CreateIndex
CREATE INDEX "DatasetSnapshot_line_createdAt_idx" ON "DatasetSnapshot"("line", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "TrainingJob_targetVersion_key" ON "TrainingJob"("targetVersion");

-- CreateIndex
CREATE INDEX "TrainingJob_status_createdAt_idx" ON "TrainingJob"("status", "createdAt");

-- CreateIndex
CREATE INDEX "TrainingJob_line_createdAt_idx" ON "TrainingJob"("line", "createdAt");

-- At most one open job per line, also under concurrent triggers (not expressible in schema.prisma)
CREATE UNIQUE INDEX "TrainingJob_open_line_key" ON "TrainingJob"("line") WHERE "status" IN ('queued', 'claimed', 'running');
