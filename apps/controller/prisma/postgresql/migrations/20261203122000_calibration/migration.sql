-- Per-camera calibration (issue #20): agents' score sketch windows and the thresholds published from them.

-- CreateTable
CREATE TABLE "ScoreSketchWindow" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "line" TEXT NOT NULL,
    "camera" TEXT NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "start" TIMESTAMP(3) NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "frames" INTEGER NOT NULL,
    "flagged" INTEGER NOT NULL,
    "sketch" TEXT NOT NULL,
    "frameStats" TEXT,
    "receivedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScoreSketchWindow_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ThresholdRevision" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "camera" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "targetFar" DOUBLE PRECISION,
    "expectedFlagRate" DOUBLE PRECISION,
    "currentFlagRate" DOUBLE PRECISION,
    "basisFrames" INTEGER,
    "reason" TEXT NOT NULL,
    "authorId" TEXT NOT NULL,
    "authorName" TEXT NOT NULL,
    "restoredFrom" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ThresholdRevision_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ScoreSketchWindow_deviceId_camera_modelVersion_start_key" ON "ScoreSketchWindow"("deviceId", "camera", "modelVersion", "start");

-- CreateIndex
CREATE INDEX "ScoreSketchWindow_deviceId_camera_start_idx" ON "ScoreSketchWindow"("deviceId", "camera", "start");

-- CreateIndex
CREATE UNIQUE INDEX "ThresholdRevision_deviceId_camera_revision_key" ON "ThresholdRevision"("deviceId", "camera", "revision");
