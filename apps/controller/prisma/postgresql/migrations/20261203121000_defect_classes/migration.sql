-- Defect classes (issue #20 item 2): a taxonomy per line. A confirmation may name a class (Event.defectClassId; null
-- = unclassified); a mask's strokes carry classes as palette indices of an indexed-colour PNG, and MaskClass records
-- which classes a saved mask uses (for the queue filter and the label statistics). A dataset item keeps the class
-- name it had when the snapshot was taken.

-- CreateTable
CREATE TABLE "DefectClass" (
    "id" TEXT NOT NULL,
    "line" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "color" TEXT NOT NULL,
    "key" TEXT,
    "paletteIndex" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DefectClass_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MaskClass" (
    "eventId" TEXT NOT NULL,
    "classId" TEXT NOT NULL,
    "pixels" INTEGER NOT NULL,

    CONSTRAINT "MaskClass_pkey" PRIMARY KEY ("eventId", "classId")
);

-- AlterTable
ALTER TABLE "Event" ADD COLUMN "defectClassId" TEXT;

-- AlterTable
ALTER TABLE "DatasetItem" ADD COLUMN "defectClass" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "DefectClass_line_name_key" ON "DefectClass"("line", "name");

-- CreateIndex
CREATE UNIQUE INDEX "DefectClass_line_key_key" ON "DefectClass"("line", "key");

-- CreateIndex
CREATE UNIQUE INDEX "DefectClass_line_color_key" ON "DefectClass"("line", "color");

-- CreateIndex
CREATE UNIQUE INDEX "DefectClass_line_paletteIndex_key" ON "DefectClass"("line", "paletteIndex");

-- CreateIndex
CREATE INDEX "MaskClass_classId_idx" ON "MaskClass"("classId");

-- CreateIndex
CREATE INDEX "Event_defectClassId_idx" ON "Event"("defectClassId");

-- AddForeignKey
ALTER TABLE "MaskClass" ADD CONSTRAINT "MaskClass_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE CASCADE ON UPDATE CASCADE;
