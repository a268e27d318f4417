-- CreateTable
CREATE TABLE "Device" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "line" TEXT NOT NULL,
    "credentialHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "disabledAt" DATETIME
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "username" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "lines" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Event" (
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
    "mapRef" TEXT NOT NULL,
    "frameWidth" INTEGER NOT NULL,
    "frameHeight" INTEGER NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    "labelStatus" TEXT NOT NULL,
    "reviewerId" TEXT,
    "reviewedAt" DATETIME
);

-- CreateTable
CREATE TABLE "Mask" (
    "eventId" TEXT NOT NULL PRIMARY KEY,
    "ref" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "authorId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ScoreAggregate" (
    "deviceId" TEXT NOT NULL,
    "camera" TEXT NOT NULL,
    "minute" DATETIME NOT NULL,
    "count" INTEGER NOT NULL,
    "sum" REAL NOT NULL,
    "max" REAL NOT NULL,
    "flagged" INTEGER NOT NULL,

    PRIMARY KEY ("deviceId", "camera", "minute")
);

-- CreateTable
CREATE TABLE "FleetStatus" (
    "deviceId" TEXT NOT NULL PRIMARY KEY,
    "online" BOOLEAN NOT NULL,
    "lastSeen" DATETIME NOT NULL,
    "agentVersion" TEXT,
    "modelVersion" TEXT,
    "status" TEXT,
    "health" TEXT,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE INDEX "Event_ts_idx" ON "Event"("ts");

-- CreateIndex
CREATE INDEX "Event_labelStatus_ts_idx" ON "Event"("labelStatus", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "Event_deviceId_sequence_key" ON "Event"("deviceId", "sequence");
