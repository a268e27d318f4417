/**
 * The `urn:linewatch` address space: Objects/LineWatch/<camera> with the camera's last verdict, its counters, the
 * model version, its online state and a Capture method. NodeIds are strings a PLC programmer can type:
 * `ns=<index of urn:linewatch>;s=<camera>/LastVerdict`, `…;s=<camera>/Counters/OK`, `…;s=<camera>/Capture`.
 */
import { DataType, StatusCodes, VariantArrayType } from 'node-opcua';
import type { Namespace, StatusCode, UAObject, UAVariable } from 'node-opcua';
import type { VerdictMessage } from '@linewatch/protocol';
import type { LineCamera, LineCounters, LinePort } from '../port.js';

export const LINEWATCH_NAMESPACE_URI = 'urn:linewatch';

/** Variables filled from the camera's last verdict (BadWaitingForInitialData until the first one). */
const VERDICT_VARIABLES = {
  LastVerdict: DataType.String,
  Score: DataType.Double,
  Threshold: DataType.Double,
  NormalizedScore: DataType.Double,
  PartId: DataType.String,
  LastUpdate: DataType.DateTime,
} as const;
type VerdictVariable = keyof typeof VERDICT_VARIABLES;

const COUNTERS = { OK: 'ok', Anomalous: 'anomalous', Uncertain: 'uncertain', Dropped: 'dropped' } as const;
type CounterVariable = keyof typeof COUNTERS;

export interface CameraNodes {
  readonly camera: string;
  readonly object: UAObject;
  readonly verdict: Readonly<Record<VerdictVariable, UAVariable>>;
  readonly counters: Readonly<Record<CounterVariable, UAVariable>>;
  readonly modelVersion: UAVariable;
  readonly online: UAVariable;
}

/** OPC UA carries UInt64 as [high, low] 32-bit words. */
export function toUInt64(n: number): [number, number] {
  const v = Math.max(0, Math.floor(n));
  return [Math.floor(v / 2 ** 32), v % 2 ** 32];
}

function readOnlyVariable(ns: Namespace, parent: UAObject, nodeId: string, name: string, dataType: DataType) {
  return ns.addVariable({
    componentOf: parent,
    browseName: name,
    nodeId: `s=${nodeId}`,
    dataType,
    accessLevel: 'CurrentRead',
    userAccessLevel: 'CurrentRead',
    minimumSamplingInterval: 0,
  });
}

function record<K extends string>(names: readonly K[], make: (name: K) => UAVariable): Record<K, UAVariable> {
  return Object.fromEntries(names.map((n) => [n, make(n)])) as Record<K, UAVariable>;
}

/** Adds one camera's object and variables under `root`; verdict variables start as BadWaitingForInitialData. */
export function addCamera(ns: Namespace, root: UAObject, camera: LineCamera): CameraNodes {
  const id = camera.id;
  const object = ns.addObject({ componentOf: root, browseName: id, nodeId: `s=${id}` });
  const countersObject = ns.addObject({ componentOf: object, browseName: 'Counters', nodeId: `s=${id}/Counters` });
  const verdict = record(Object.keys(VERDICT_VARIABLES) as VerdictVariable[], (name) =>
    readOnlyVariable(ns, object, `${id}/${name}`, name, VERDICT_VARIABLES[name]),
  );
  for (const v of Object.values(verdict)) v.setValueFromSource({ dataType: DataType.Null }, badWaiting());
  const counters = record(Object.keys(COUNTERS) as CounterVariable[], (name) =>
    readOnlyVariable(ns, countersObject, `${id}/Counters/${name}`, name, DataType.UInt64),
  );
  return {
    camera: id,
    object,
    verdict,
    counters,
    modelVersion: readOnlyVariable(ns, object, `${id}/ModelVersion`, 'ModelVersion', DataType.String),
    online: readOnlyVariable(ns, object, `${id}/Online`, 'Online', DataType.Boolean),
  };
}

function badWaiting(): StatusCode {
  return StatusCodes.BadWaitingForInitialData;
}

/** Writes a verdict into the camera's variables, stamped with the verdict's own time. */
export function showVerdict(nodes: CameraNodes, v: VerdictMessage): void {
  const ts = new Date(v.ts);
  const set = (name: VerdictVariable, value: unknown) =>
    nodes.verdict[name].setValueFromSource({ dataType: VERDICT_VARIABLES[name], value }, StatusCodes.Good, ts);
  set('LastVerdict', v.verdict);
  set('Score', v.score);
  set('Threshold', v.threshold);
  set('NormalizedScore', v.normalized);
  set('PartId', v.partId ?? '');
  set('LastUpdate', ts);
}

/** Counters, model version and online state: what changes without a verdict (drops, model updates, outages). */
export function showState(nodes: CameraNodes, port: LinePort): void {
  const counters: LineCounters = port.counters(nodes.camera);
  for (const [name, key] of Object.entries(COUNTERS) as [CounterVariable, keyof LineCounters][]) {
    // A two-word value would read as an array: say it is one scalar.
    setIfChanged(nodes.counters[name], DataType.UInt64, toUInt64(counters[key]), VariantArrayType.Scalar);
  }
  setIfChanged(nodes.modelVersion, DataType.String, port.modelVersion());
  const online = port.cameras().find((c) => c.id === nodes.camera)?.online ?? false;
  setIfChanged(nodes.online, DataType.Boolean, online);
}

/** Skips unchanged values so the periodic refresh does not move source timestamps or wake subscriptions. */
function setIfChanged(v: UAVariable, dataType: DataType, value: unknown, arrayType?: VariantArrayType): void {
  const current = v.readValue().value;
  if (current.dataType === dataType && JSON.stringify(current.value) === JSON.stringify(value)) return;
  v.setValueFromSource({ dataType, value, ...(arrayType !== undefined ? { arrayType } : {}) }, StatusCodes.Good);
}
