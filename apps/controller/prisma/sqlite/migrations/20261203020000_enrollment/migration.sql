-- Field install (issue 17): one-time enrollment tokens (stored as sha256, single use, bound to a line and a device id)
-- and one-time passwords (bootstrap admin, admin resets) that must be changed at the next sign-in.

-- CreateTable
CREATE TABLE "EnrollmentToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenHash" TEXT NOT NULL,
    "line" TEXT NOT NULL,
    "site" TEXT NOT NULL,
    "device" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "createdBy" TEXT NOT NULL,
    "usedAt" DATETIME,
    "usedBy" TEXT,
    "revokedAt" DATETIME
);

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentToken_tokenHash_key" ON "EnrollmentToken"("tokenHash");

-- Existing users keep their passwords as they are.
ALTER TABLE "User" ADD COLUMN "mustChangePassword" BOOLEAN NOT NULL DEFAULT false;
