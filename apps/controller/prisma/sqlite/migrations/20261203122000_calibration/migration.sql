-- Per-camera calibration (issue #20): agents' score sketch windows and the thresholds published from them.

-- CreateTable
CREATE TABLE "ScoreSketchWindow" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "line" TEXT NOT NULL,
    "camera" TEXT NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "start" DATETIME NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "threshold" REAL NOT NULL,
    "frames" INTEGER NOT NULL,
    "flagged" INTEGER NOT NULL,
    "sketch" TEXT NOT NULL,
    "frameStats" TEXT,
    "receivedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ThresholdRevision" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "camera" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "threshold" REAL NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "targetFar" REAL,
    "expectedFlagRate" REAL,
    "currentFlagRate" REAL,
    "basisFrames" INTEGER,
    "reason" TEXT NOT NULL,
    "authorId" TEXT NOT NULL,
    "authorName" TEXT NOT NULL,
    "restoredFrom" INTEGER,
    "createdAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "ScoreSketchWindow_deviceId_camera_modelVersion_start_key" ON "ScoreSketchWindow"("deviceId", "camera", "modelVersion", "start");

-- CreateIndex
CREATE INDEX "ScoreSketchWindow_deviceId_camera_start_idx" ON "ScoreSketchWindow"("deviceId", "camera", "start");

-- CreateIndex
CREATE UNIQUE INDEX "ThresholdRevision_deviceId_camera_revision_key" ON "ThresholdRevision"("deviceId", "camera", "revision");
