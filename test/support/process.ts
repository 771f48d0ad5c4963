import { spawn } from 'node:child_process';

/** How a child process ended and what it printed. */
export interface ProcessRun {
  /** Exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runNode}. */
export interface RunNodeOptions {
  /** Working directory. @default - this process's */
  readonly cwd?: string;
  /** Standard input. @default '' */
  readonly stdin?: string;
  /** Environment on top of PATH (nothing else of this process's environment is passed). @default - PATH only */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs `node <args>` asynchronously (so loopback servers of the test keep
 * answering from this process's event loop) with a clean environment, and
 * collects its output.
 */
export function runNode(args: readonly string[], options: RunNodeOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: { PATH: process.env.PATH, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
