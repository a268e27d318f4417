/**
 * @linewatch/protocol — the contract between agent, controller and trainer. Runtime dependency: @sinclair/typebox only.
 * See README.md for the topic table, wire forms (JSON, envelope), protocol version and error catalogue.
 */
export {
  CONTENT_TYPES,
  LEGACY_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  WIRE_FORMS,
  defaultWireForm,
  kindTravelsAs,
  mqtt5Properties,
  wireFormFor,
  wireFormOf,
} from './wire.js';
export type { WireForm } from './wire.js';

export { ApiError, ERROR_CATALOGUE, ERROR_CODES, ProtocolError, isApiError, isProtocolError } from './errors.js';
export type { ProtocolErrorCode, ProtocolErrorDetails } from './errors.js';

export { KINDS, MESSAGE_KINDS, hasCameraSegment, isMessageKind, kindById } from './kinds.js';
export type { CameraKind, Direction, KindSpec, MessageKind, QoS } from './kinds.js';

export {
  MAX_SEGMENT_LENGTH,
  MAX_TOPIC_LENGTH,
  TOPIC_ROOT,
  TOPIC_VERSION,
  assertSegment,
  buildTopic,
  devicePrefix,
  isValidSegment,
  parseTopic,
  safeParseTopic,
  segmentProblem,
} from './topics.js';
export type { DeviceAddress, ParseTopicResult, ParsedTopic, SegmentProblem, TopicParams } from './topics.js';

export { agentSubscriptions, controllerSubscriptions, kindFilter, topicMatches } from './subscriptions.js';
export type { ControllerSubscriptionOptions, Scope, Subscription } from './subscriptions.js';

export {
  DEFAULT_LIMITS,
  ENVELOPE_MAGIC,
  ENVELOPE_PREFIX_BYTES,
  ENVELOPE_VERSION,
  SUPPORTED_ENVELOPE_VERSIONS,
  decodeEnvelope,
  encodeEnvelope,
} from './envelope.js';
export type { Envelope, EnvelopeLimits, PartRange } from './envelope.js';

export { decode, decodeAny, encode } from './codec.js';
export type { CodecOptions } from './codec.js';
export { assertTopicMatchesMessage, deathWill, fromPublication, toPublication } from './mqtt.js';
export type { Publication, Received } from './mqtt.js';

export { JPEG_SOI, PNG_SIGNATURE, checkImage } from './images.js';
export { assertMessage, isMessage, validatorFor } from './validate.js';

export { MESSAGE_DEFS, MESSAGE_SCHEMAS } from './messages/index.js';
export type { AnyMessage, MessageDef, MessageOf, PartSpec } from './messages/index.js';
export { EXECUTION_PROVIDERS, type ExecutionProvider } from './messages/common.js';
export { ScoreSchema } from './messages/score.js';
export type { ScoreMessage } from './messages/score.js';
export {
  AckSchema,
  EventSchema,
  MAX_ACK_IDS,
  MAX_FEATURES,
  MAX_JPEG_BYTES,
  MAX_MAP_PNG_BYTES,
} from './messages/event.js';
export type { AckMessage, EventMessage } from './messages/event.js';
export { BirthSchema, DEVICE_STATES, DeathSchema, StatusSchema } from './messages/lifecycle.js';
export type { BirthMessage, DeathMessage, StatusMessage } from './messages/lifecycle.js';
export { HealthSchema } from './messages/health.js';
export type { HealthMessage } from './messages/health.js';
export {
  DesiredModelSchema,
  MODEL_UPDATE_REASONS,
  MODEL_UPDATE_STATES,
  ModelReportSchema,
  SIGNATURE_SCHEMES,
} from './messages/model.js';
export type { DesiredModelMessage, ModelReportMessage, ModelUpdateReason, ModelUpdateState } from './messages/model.js';
export { ThresholdSchema } from './messages/threshold.js';
export { ScoreSketchSchema, SketchCountsSchema } from './messages/sketch.js';
export type { ScoreSketchMessage } from './messages/sketch.js';
export {
  BUCKET_COUNT,
  MAX_BUCKET,
  MAX_TRACKED,
  MIN_BUCKET,
  MIN_TRACKED,
  SKETCH_GAMMA,
  SKETCH_RELATIVE_ERROR,
  ScoreSketch,
  bucketOf,
  bucketUpper,
  bucketValue,
  sketchOf,
} from './sketch.js';
export type { SketchCounts } from './sketch.js';
export type { ThresholdMessage } from './messages/threshold.js';
export { CaptureSchema, PartId, VERDICTS, VerdictSchema } from './messages/verdict.js';
export type { CaptureMessage, Verdict, VerdictMessage } from './messages/verdict.js';

export {
  MANIFEST_SCHEMA_VERSION,
  MAX_MANIFEST_BYTES,
  ManifestSchema,
  isManifest,
  parseManifest,
  serializeManifest,
  validateManifest,
} from './manifest.js';
export type { Manifest } from './manifest.js';
