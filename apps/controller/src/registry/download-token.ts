/**
 * Signed, short-lived package download links. The agent's downloader sends no credentials, so the desiredModel
 * message carries a URL whose query holds an HMAC-SHA256 over (version, device, expiry): only the controller can
 * mint one, it is useless for another version, and it dies after `ttlS`. Compared in constant time. With a
 * configured `registry.urlSecret` every replica signs and verifies alike, so any replica serves any link. With an
 * S3 blob store and `files.s3.presignDownloads`, links point straight at the bucket instead (pre-signed GET).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ctrlError } from '../errors.js';
import type { PackagePresigner } from '../files/create-file-store.js';

export class DownloadTokens {
  private readonly secret: Buffer;

  constructor(
    secret: string | null,
    private readonly ttlS: number,
    private readonly clock: Clock,
    private readonly presign: PackagePresigner | null = null,
  ) {
    // Random per process when unconfigured: links minted before a restart stop working, and the rollout engine
    // re-issues fresh ones for devices that have not converged yet.
    this.secret = secret === null ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  private mac(version: string, device: string, exp: number): Buffer {
    return createHmac('sha256', this.secret).update(`${version}\n${device}\n${exp}`).digest();
  }

  /** Query string (without '?') for a link valid for `ttlS` from now. */
  sign(version: string, device: string): { device: string; exp: number; sig: string } {
    const exp = Math.floor(this.clock.now().getTime() / 1000) + this.ttlS;
    return { device, exp, sig: this.mac(version, device, exp).toString('base64url') };
  }

  /**
   * The URL a device downloads `version` (package blob `sha256`) from: a pre-signed bucket URL when configured, else
   * this controller's signed link under `baseUrl`. Agents check the sha256 of what they get either way.
   */
  async packageUrl(baseUrl: string, version: string, sha256: string, device: string): Promise<string> {
    if (this.presign) return this.presign(sha256);
    const t = this.sign(version, device);
    const q = new URLSearchParams({ device: t.device, exp: String(t.exp), sig: t.sig });
    return `${baseUrl}/api/models/${encodeURIComponent(version)}/package?${q.toString()}`;
  }

  /** Throws LW_CTRL_DOWNLOAD_TOKEN_INVALID / _EXPIRED; the signature is checked before the expiry is trusted. */
  verify(version: string, q: { device?: string; exp?: number; sig?: string }): string {
    if (q.device === undefined || q.exp === undefined || q.sig === undefined) {
      throw ctrlError('LW_CTRL_DOWNLOAD_TOKEN_INVALID', 'device, exp and sig are all required');
    }
    const want = this.mac(version, q.device, q.exp);
    const got = Buffer.from(q.sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw ctrlError('LW_CTRL_DOWNLOAD_TOKEN_INVALID');
    if (q.exp * 1000 <= this.clock.now().getTime()) throw ctrlError('LW_CTRL_DOWNLOAD_TOKEN_EXPIRED');
    return q.device;
  }
}
