/** Line software as a test sees it: an MQTT client that reads verdicts and sends capture commands. */
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { fromPublication, kindFilter, toPublication } from '@linewatch/protocol';
import type { DeviceAddress, VerdictMessage } from '@linewatch/protocol';

export class LineClient {
  readonly verdicts: VerdictMessage[] = [];
  private client!: MqttClient;

  constructor(
    private readonly url: string,
    private readonly address: DeviceAddress,
  ) {}

  async start(): Promise<void> {
    this.client = await connectAsync(this.url, {
      clientId: `test-line-${Math.random().toString(36).slice(2)}`,
      reconnectPeriod: 0,
      clean: true,
    });
    this.client.on('message', (topic, payload) => {
      const got = fromPublication(topic, payload);
      if (got.kind === 'verdict') this.verdicts.push(got.message);
    });
    await this.client.subscribeAsync(kindFilter('verdict', this.address), { qos: 1 });
  }

  of(camera: string): VerdictMessage[] {
    return this.verdicts.filter((v) => v.camera === camera);
  }

  async capture(camera: string, partId?: string): Promise<void> {
    const p = toPublication(
      'capture',
      { ...this.address, camera },
      { camera, ts: Date.now(), ...(partId !== undefined ? { partId } : {}) },
    );
    await this.client.publishAsync(p.topic, Buffer.from(p.payload), { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}
