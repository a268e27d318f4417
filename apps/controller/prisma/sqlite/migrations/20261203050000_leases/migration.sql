-- Controller replicas (issue 18): a leader lease per singleton group (rollout engine, line convergence, training
-- policy, session sweep). Taken and renewed by conditional updates; `fence` grows at every change of holder.

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "fence" INTEGER NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);
