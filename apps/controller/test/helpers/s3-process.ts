/** Starts helpers/s3-child.ts as a child process and reads its `files.s3` config (see there). */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { S3StoreConfig } from '../../src/files/s3-config.js';

const child = fileURLToPath(new URL('./s3-child.ts', import.meta.url));

export interface S3Process {
  config: S3StoreConfig;
  close(): Promise<void>;
}

export function startS3Process(env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<S3Process> {
  const p = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', child], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  const close = async () => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    const hard = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(hard);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`S3 server process did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    p.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const { config } = JSON.parse(out.slice(0, nl)) as { config: S3StoreConfig };
      resolve({ config, close });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error('S3 server process exited during start-up'));
    });
  });
}
