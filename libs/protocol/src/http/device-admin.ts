/**
 * Device administration beyond provisioning and disabling (devices.ts): re-key, enable, delete.
 * - Re-key rotates the MQTT secret (shown once, as at provisioning): the old one stops working at once and the live
 *   session is closed; events, scores and fleet history stay with the device id.
 * - Enable undoes a disable (the device may connect again with its current credentials).
 * - Delete forgets the device and its fleet row; its reviewed events stay (they belong to the line's training data),
 *   so the id cannot be reused until those are gone (409 `LW_CTRL_CONFLICT` on provisioning the same id).
 */
import { IdParams, errorResponses } from './common.js';
import { DeviceCredentials, DeviceView } from './devices.js';
import { Type } from '@sinclair/typebox';

/** Admin: new credentials (200, shown once). */
export const RekeyDeviceRoute = {
  method: 'POST',
  url: '/api/devices/:id/rekey',
  schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceCredentials, ...errorResponses } },
} as const;

/** Admin: a disabled device may connect again. Idempotent. */
export const EnableDeviceRoute = {
  method: 'POST',
  url: '/api/devices/:id/enable',
  schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceView, ...errorResponses } },
} as const;

/** Admin: the broker forgets the device and its session is closed. */
export const DeleteDeviceRoute = {
  method: 'DELETE',
  url: '/api/devices/:id',
  schema: { tags: ['devices'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
} as const;
