/**
 * The per-camera `Capture(PartId: String) → (Verdict: String, Score: Double)` method. A failure answers with a Bad
 * status code the caller can act on (and is logged with its agent code); it never throws into node-opcua.
 */
import { PartId } from '@linewatch/protocol';
import { Value } from '@sinclair/typebox/value';
import { DataType, StatusCodes } from 'node-opcua';
import type { CallMethodResultOptions, ISessionContext, Namespace, StatusCode, UAObject, Variant } from 'node-opcua';
import { isAgentError, reasonOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { LinePort } from '../port.js';

/** Agent codes a capture rejects with, as the OPC UA status a PLC program can branch on. */
const STATUS_OF_CODE: Readonly<Record<string, StatusCode>> = {
  LW_AGENT_UNKNOWN_CAMERA: StatusCodes.BadNotFound,
  LW_AGENT_NOT_TRIGGER_CAMERA: StatusCodes.BadNotSupported,
  LW_AGENT_CAPTURE_BUSY: StatusCodes.BadTooManyOperations,
  LW_AGENT_CAPTURE_TIMEOUT: StatusCodes.BadTimeout,
  LW_AGENT_CAPTURE_FAILED: StatusCodes.BadDeviceFailure,
};

export function captureStatus(e: unknown): StatusCode {
  return (isAgentError(e) && STATUS_OF_CODE[e.code]) || StatusCodes.BadInternalError;
}

export function addCaptureMethod(ns: Namespace, object: UAObject, camera: string, port: LinePort, log: Logger): void {
  const method = ns.addMethod(object, {
    browseName: 'Capture',
    nodeId: `s=${camera}/Capture`,
    inputArguments: [
      { name: 'PartId', description: { text: 'part id to tag the frame with ("" = none)' }, dataType: DataType.String },
    ],
    outputArguments: [
      { name: 'Verdict', description: { text: 'ok / anomalous / uncertain' }, dataType: DataType.String },
      { name: 'Score', description: { text: "the frame's anomaly score" }, dataType: DataType.Double },
    ],
  });
  // node-opcua tells promise-returning methods from callback ones by their declared arity: keep both parameters.
  method.bindMethod(async (inputArguments: Variant[], _context: ISessionContext): Promise<CallMethodResultOptions> => {
    const raw: unknown = inputArguments[0]?.value;
    const partId = typeof raw === 'string' && raw !== '' ? raw : undefined;
    if (partId !== undefined && !Value.Check(PartId, partId)) return { statusCode: StatusCodes.BadInvalidArgument };
    try {
      const verdict = await port.capture({ camera, ...(partId !== undefined ? { partId } : {}) });
      return {
        statusCode: StatusCodes.Good,
        outputArguments: [
          { dataType: DataType.String, value: verdict.verdict },
          { dataType: DataType.Double, value: verdict.score },
        ],
      };
    } catch (e) {
      const statusCode = captureStatus(e);
      log('warn', `OPC UA Capture on ${camera} failed: ${reasonOf(e)}`, {
        camera,
        code: isAgentError(e) ? e.code : undefined,
        status: statusCode.name,
      });
      return { statusCode };
    }
  });
}
