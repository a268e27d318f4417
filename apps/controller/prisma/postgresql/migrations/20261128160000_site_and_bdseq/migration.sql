-- Topics are linewatch/v1/{site}/{line}/{device}/...: devices need their site for ACLs.
ALTER TABLE "Device" ADD COLUMN "site" TEXT NOT NULL DEFAULT 'default';

-- Sparkplug-style lifecycle: remember the live session's bdSeq to ignore stale deaths.
ALTER TABLE "FleetStatus" ADD COLUMN "bdSeq" INTEGER;
