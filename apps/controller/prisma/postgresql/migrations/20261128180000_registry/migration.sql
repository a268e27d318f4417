-- Model registry (versions with lineage, metrics, eligibility, approval) and staged rollouts with their
-- per-device targets and decision log (issue #7).

-- CreateTable
CREATE TABLE "ModelVersion" (
    "version" TEXT NOT NULL,
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
    "threshold" DOUBLE PRECISION,
    "eligible" BOOLEAN,
    "eligibility" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "approvedBy" TEXT,
    "approvedAt" TIMESTAMP(3),
    CONSTRAINT "ModelVersion_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "RolloutPolicy" (
    "scope" TEXT NOT NULL,
    "policy" TEXT NOT NULL,
    "updatedBy" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "RolloutPolicy_pkey" PRIMARY KEY ("scope")
);

-- CreateTable
CREATE TABLE "Rollout" (
    "id" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "parentVersion" TEXT,
    "line" TEXT,
    "policy" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "waves" INTEGER NOT NULL,
    "waveStartedAt" TIMESTAMP(3),
    "waveLiveAt" TIMESTAMP(3),
    "baseline" TEXT,
    "reason" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    CONSTRAINT "Rollout_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutTarget" (
    "rolloutId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "fromVersion" TEXT,
    "issuedAt" TIMESTAMP(3),
    "liveAt" TIMESTAMP(3),
    "report" TEXT,
    "frames" INTEGER NOT NULL,
    "baseFps" DOUBLE PRECISION,
    "baseLatencyMs" DOUBLE PRECISION,
    "rolledBackAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "RolloutTarget_pkey" PRIMARY KEY ("rolloutId", "deviceId")
);

-- CreateTable
CREATE TABLE "RolloutDecision" (
    "id" SERIAL NOT NULL,
    "rolloutId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "details" TEXT,
    CONSTRAINT "RolloutDecision_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ModelVersion_line_createdAt_idx" ON "ModelVersion"("line", "createdAt");

-- CreateIndex
CREATE INDEX "Rollout_state_idx" ON "Rollout"("state");

-- CreateIndex
CREATE INDEX "RolloutTarget_deviceId_idx" ON "RolloutTarget"("deviceId");

-- CreateIndex
CREATE INDEX "RolloutDecision_rolloutId_id_idx" ON "RolloutDecision"("rolloutId", "id");
