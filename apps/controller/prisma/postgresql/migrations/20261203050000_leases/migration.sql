-- Controller replicas (issue 18): a leader lease per singleton group (rollout engine, line convergence, training
-- policy, session sweep). Taken and renewed by conditional updates; `fence` grows at every change of holder.

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "fence" INTEGER NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lease_pkey" PRIMARY KEY ("name")
);
