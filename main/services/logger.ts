/** The hosts' log: one line per event on stderr. Never pass it secrets or note content. */
type Level = 'info' | 'warn' | 'error';

let quiet = false;

function write(level: Level, message: string): void {
  if (quiet && level === 'info') return;
  process.stderr.write(`[commonplace] ${level}: ${message}\n`);
}

export const logger = {
  info: (message: string) => write('info', message),
  warn: (message: string) => write('warn', message),
  error: (message: string) => write('error', message),
  /** Silences info lines (tests and the CLI). */
  setQuiet: (value: boolean) => {
    quiet = value;
  },
};
