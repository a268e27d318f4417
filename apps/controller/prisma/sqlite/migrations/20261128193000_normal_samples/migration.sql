-- Unflagged frames sampled by agents as normal training data (issue #7).

-- CreateTable
CREATE TABLE "NormalSample" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "line" TEXT NOT NULL,
    "camera" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "score" REAL NOT NULL,
    "threshold" REAL NOT NULL,
    "frameRef" TEXT NOT NULL,
    "frameWidth" INTEGER NOT NULL,
    "frameHeight" INTEGER NOT NULL,
    "receivedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "NormalSample_deviceId_sequence_key" ON "NormalSample"("deviceId", "sequence");

-- CreateIndex
CREATE INDEX "NormalSample_line_camera_ts_idx" ON "NormalSample"("line", "camera", "ts");
