/** Runs the real agent entry point (src/main.ts) as a child process, for kill -9 tests. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AgentConfig } from '../../src/config.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export class AgentProcess {
  private child: ChildProcess | undefined;
  stderr = '';

  constructor(private readonly configPath: string) {}

  start(config: AgentConfig): void {
    writeFileSync(this.configPath, JSON.stringify(config));
    this.stderr = '';
    const child = spawn(
      process.execPath,
      ['--conditions=@linewatch/source', '--import', 'tsx', MAIN, this.configPath],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-4000);
    });
    this.child = child;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9: no cleanup of any kind runs in the agent. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async terminate(): Promise<void> {
    await this.signal('SIGTERM', 10_000);
  }

  private async signal(sig: NodeJS.Signals, graceMs = 0): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = graceMs ? setTimeout(() => c.kill('SIGKILL'), graceMs) : undefined;
      c.once('exit', () => {
        if (t) clearTimeout(t);
        resolve();
      });
      c.kill(sig);
    });
  }
}
