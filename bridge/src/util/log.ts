// Structured logs on stderr (stdout carries results): pretty on a TTY, JSON otherwise.
import pino, { Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function createLogger(level = 'info', name = 'cosim'): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`--log-level: '${level}' is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const stream = process.stderr.isTTY
    ? pretty({ colorize: true, destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' })
    : pino.destination({ dest: 2, sync: true });
  return pino({ name, level }, stream);
}
