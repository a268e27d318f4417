/**
 * A TCP gate in front of a broker for the outage scenario. In production the controller is online before agents
 * come back (the embedded broker *is* the controller); in a test the agent's reconnect timer can beat the test
 * subscriber's, and QoS 1 messages published before that subscriber re-subscribes reach nobody and come back
 * later as resends — out of order for a reason that has nothing to do with the agent. The gate keeps the agent
 * out until the test has seen its subscriber back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Gate {
  readonly url: string;
  open(): void;
  /** Refuses new connections and cuts the ones through the gate. */
  shut(): void;
  close(): Promise<void>;
}

export async function tcpGate(target: string): Promise<Gate> {
  const t = new URL(target);
  let isOpen = true;
  const pairs = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!isOpen) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(t.port), t.hostname);
    pairs.add(client);
    pairs.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(client);
      pairs.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    open: () => {
      isOpen = true;
    },
    shut: () => {
      isOpen = false;
      for (const s of pairs) s.destroy();
      pairs.clear();
    },
    close: () =>
      new Promise<void>((r) => {
        isOpen = false;
        for (const s of pairs) s.destroy();
        server.close(() => r());
      }),
  };
}
