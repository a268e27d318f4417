/**
 * Runs the test S3 server (helpers/s3.ts) as its own process, the way MinIO would run beside the controllers: the
 * bench's load generator then does not share an event loop with the blob store. Prints one JSON line
 * `{ "config": <files.s3 section> }` once listening; SIGTERM closes it.
 */
import { startS3 } from './s3.js';

const s3 = await startS3();
process.stdout.write(`${JSON.stringify({ config: s3.config })}\n`);
process.once('SIGTERM', () => {
  void s3.close().then(() => process.exit(0));
});
