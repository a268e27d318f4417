-- Controller replicas (issue 18): rollout admin actions taken by a replica that does not lead, applied by the
-- leader's engine. pending → applying (one conditional claim) → done | failed; pending → failed when not claimed in time.

-- CreateTable
CREATE TABLE "RolloutCommand" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "args" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "state" TEXT NOT NULL,
    "appliedBy" TEXT,
    "result" TEXT,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "doneAt" DATETIME
);

-- CreateIndex
CREATE INDEX "RolloutCommand_state_createdAt_idx" ON "RolloutCommand"("state", "createdAt");
