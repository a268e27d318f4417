/** autocannon against the review-queue API (GET /api/events, signed-in QA session): req/s and p99 latency. */
import autocannon from 'autocannon';

export async function queueApiLoad(base: string, cookie: string, seconds: number, connections = 10) {
  const r = await autocannon({
    url: `${base}/api/events?limit=50`,
    headers: { cookie },
    connections,
    duration: seconds,
    // Its own thread: in the controller's event loop the load generator would compete with what it measures.
    workers: 1,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`queue API bench: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return {
    reqPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    connections,
    requests: r.requests.total,
  };
}
