/**
 * Labels leave and enter (issue 20 item 4): a line's review labels exported as an MVTec-layout zip or as COCO JSON
 * with RLE masks, and MVTec-layout data (an uploaded zip, or a folder under the controller's import root) imported
 * as labelled data for a line.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, Slug, errorResponses } from './common.js';

export const LABEL_EXPORT_FORMATS = ['mvtec', 'coco'] as const;
export type LabelExportFormat = (typeof LABEL_EXPORT_FORMATS)[number];

/** The class folder of a confirmation without a defect class (MVTec needs a folder name). */
export const UNCLASSIFIED_CLASS = 'anomalous';

export const LabelLineParams = Type.Object({ line: Slug }, { additionalProperties: false });
export type LabelLineParams = Static<typeof LabelLineParams>;

export const LabelExportQuery = Type.Object(
  {
    /** mvtec: application/zip (train/good, test/<class>, ground_truth/<class>, coco.json); coco: the JSON alone. */
    format: Type.Optional(Type.Union([Type.Literal('mvtec'), Type.Literal('coco')])),
    /** Capture time range [from, to) of the events and sampled normals; open ends when absent. */
    from: Type.Optional(IsoDate),
    to: Type.Optional(IsoDate),
    /** Comma-separated class names of the confirmed anomalies to include (`anomalous` = unclassified); all if absent. */
    classes: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    /** Newest sampled normal frames to include (rejected false alarms are always included); all if absent. */
    maxNormals: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type LabelExportQuery = Static<typeof LabelExportQuery>;

/** Answers raw bytes (zip or JSON, streamed): no 2xx schema, like the other byte routes. */
export const ExportLabelsRoute = {
  method: 'GET',
  url: '/api/lines/:line/labels/export',
  schema: {
    tags: ['labels'],
    description: "Export the line's labels as an MVTec-layout zip or COCO JSON with RLE masks (streamed)",
    params: LabelLineParams,
    querystring: LabelExportQuery,
    response: { ...errorResponses },
  },
} as const;

export const LabelImportQuery = Type.Object(
  {
    /** Camera name the imported frames are stored under (default `import`). */
    camera: Type.Optional(Slug),
  },
  { additionalProperties: false },
);
export type LabelImportQuery = Static<typeof LabelImportQuery>;

export const LabelImportResult = Type.Object(
  {
    line: Type.String(),
    camera: Type.String(),
    /** Device id the imported rows carry (`import-<hex>`): one per import. */
    batch: Type.String(),
    /** Good images, stored as sampled normal frames. */
    normals: Type.Integer(),
    /** Defect images, stored as confirmed events. */
    anomalies: Type.Integer(),
    /** Defect images that came with a ground-truth mask. */
    masks: Type.Integer(),
    /** Defect images per class folder. */
    classes: Type.Record(Type.String(), Type.Integer()),
    /** Class folders no class of the line was named after: added to the line's taxonomy. */
    createdClasses: Type.Array(Type.String()),
    /** Entries that are not part of the layout (other files, non-images), first 50. */
    skipped: Type.Array(Type.String()),
    skippedCount: Type.Integer(),
  },
  { additionalProperties: false },
);
export type LabelImportResult = Static<typeof LabelImportResult>;

/** Body: the zip itself (`application/zip`), streamed to a temporary file; 413 over labels.maxImportBytes. */
export const ImportLabelsZipRoute = {
  method: 'POST',
  url: '/api/lines/:line/labels/import',
  schema: {
    tags: ['labels'],
    description: 'Import an MVTec-layout zip as labelled data for the line (admin); nothing is stored on failure',
    params: LabelLineParams,
    querystring: LabelImportQuery,
    consumes: ['application/zip'],
    response: { 201: LabelImportResult, ...errorResponses },
  },
} as const;

export const LabelImportFolderBody = Type.Object(
  {
    /** A folder relative to the controller's labels.importRoot (absolute paths and `..` are refused). */
    path: Type.String({ minLength: 1, maxLength: 1024 }),
    camera: Type.Optional(Slug),
  },
  { additionalProperties: false },
);
export type LabelImportFolderBody = Static<typeof LabelImportFolderBody>;

export const ImportLabelsFolderRoute = {
  method: 'POST',
  url: '/api/lines/:line/labels/import-folder',
  schema: {
    tags: ['labels'],
    description: 'Import an MVTec-layout folder under the configured import root (admin)',
    params: LabelLineParams,
    body: LabelImportFolderBody,
    response: { 201: LabelImportResult, ...errorResponses },
  },
} as const;
