/**
 * The line-rate runs' broker (aedes) and lean test controller (acks events, counts scores), in a worker thread of
 * their own. On a line the broker and the controller are other machines; in the bench's own thread their MQTT
 * parsing and the garbage of every event payload they copy would pause the agent's event loop and be counted as the
 * agent's latency. Here they cost CPU on the same two cores, as a broker on the box would, but not the agent's heap.
 */
import { parentPort } from 'node:worker_threads';
import { aedesBroker } from '../test/helpers/brokers.js';
import { TestController } from '../test/helpers/controller.js';

export type BrokerRequest = { op: 'counts' } | { op: 'stop' };
export type BrokerReply =
  { op: 'ready'; url: string } | { op: 'counts'; events: number; scores: number } | { op: 'stopped' };

const port = parentPort!;
const broker = await aedesBroker();
await broker.start();
const ctrl = new TestController(broker.url, { site: 'bench', line: 'l1', device: 'bench-line' }, true);
await ctrl.start();
port.on('message', (req: BrokerRequest) => {
  if (req.op === 'counts') {
    port.postMessage({ op: 'counts', events: ctrl.eventCount, scores: ctrl.scoreCount } satisfies BrokerReply);
    return;
  }
  void (async () => {
    await ctrl.stop();
    await broker.stop();
    port.postMessage({ op: 'stopped' } satisfies BrokerReply);
    port.close();
  })();
});
port.postMessage({ op: 'ready', url: broker.url } satisfies BrokerReply);
