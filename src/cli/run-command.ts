import { readFileSync } from 'node:fs';

/** The parsed `run --config FILE [flags]` command line of a bundled job script. */
export interface RunCommand<C> {
  /** The parsed JSON config. */
  readonly config: C;
  /** Value of `--name VALUE`, if given. */
  readonly flag: (name: string) => string | undefined;
  /** Whether a bare `--name` switch was given. */
  readonly has: (name: string) => boolean;
}

/**
 * The one command-line contract of the library's job scripts: `run --config
 * FILE [flags]`; `--help` prints the usage and exits 0; anything else is a
 * usage error (exit 2). Failures print `<name>: <message>` on one line and
 * exit 2, so a job's exit code says "failed to run".
 */
export function runCommand<C>(name: string, usage: string, main: (cmd: RunCommand<C>) => Promise<number>, argv: readonly string[] = process.argv.slice(2)): void {
  const start = async (): Promise<number> => {
    const [command, ...rest] = argv;
    if (command !== 'run') {
      process.stderr.write(`usage: ${name} ${usage}\n`);
      return command === '--help' ? 0 : 2;
    }
    const flag = (f: string) => {
      const i = rest.indexOf(f);
      return i >= 0 ? rest[i + 1] : undefined;
    };
    const configPath = flag('--config');
    if (!configPath) {
      throw new Error('--config FILE is required');
    }
    // Unchecked: a generic C cannot be checked here; the construct rendered this config at synth
    // time. Goes away when the scripts pass a validating parser (a change to their bundles).
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as C;
    return main({ config, flag, has: (f) => rest.includes(f) });
  };
  start().then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
}
