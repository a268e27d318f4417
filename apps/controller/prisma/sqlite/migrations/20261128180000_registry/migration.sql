-- Model registry (versions with lineage, metrics, eligibility, approval) and staged rollouts with their
-- per-device targets and decision log (issue #7).

-- CreateTable
CREATE TABLE "ModelVersion" (
    "version" TEXT NOT NULL PRIMARY KEY,
    "line" TEXT,
    "parentVersion" TEXT,
    "jobId" TEXT,
    "datasetSnapshotId" TEXT,
    "sha256" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "build" INTEGER NOT NULL,
    "manifest" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "metrics" TEXT,
    "threshold" REAL,
    "eligible" BOOLEAN,
    "eligibility" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "approvedBy" TEXT,
    "approvedAt" DATETIME
);

-- CreateTable
CREATE TABLE "RolloutPolicy" (
    "scope" TEXT NOT NULL PRIMARY KEY,
    "policy" TEXT NOT NULL,
    "updatedBy" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Rollout" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" TEXT NOT NULL,
    "parentVersion" TEXT,
    "line" TEXT,
    "policy" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "waves" INTEGER NOT NULL,
    "waveStartedAt" DATETIME,
    "waveLiveAt" DATETIME,
    "baseline" TEXT,
    "reason" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    "endedAt" DATETIME
);

-- CreateTable
CREATE TABLE "RolloutTarget" (
    "rolloutId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "fromVersion" TEXT,
    "issuedAt" DATETIME,
    "liveAt" DATETIME,
    "report" TEXT,
    "frames" INTEGER NOT NULL,
    "baseFps" REAL,
    "baseLatencyMs" REAL,
    "rolledBackAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    PRIMARY KEY ("rolloutId", "deviceId")
);

-- CreateTable
CREATE TABLE "RolloutDecision" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "rolloutId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "details" TEXT
);

-- CreateIndex
CREATE INDEX "ModelVersion_line_createdAt_idx" ON "ModelVersion"("line", "createdAt");

-- CreateIndex
CREATE INDEX "Rollout_state_idx" ON "Rollout"("state");

-- CreateIndex
CREATE INDEX "RolloutTarget_deviceId_idx" ON "RolloutTarget"("deviceId");

-- CreateIndex
CREATE INDEX "RolloutDecision_rolloutId_id_idx" ON "RolloutDecision"("rolloutId", "id");
