// A logger that keeps what it is told, for tests that check warnings.
import type { Logger } from '../../src/logger.js';

export interface RecordingLogger extends Logger {
  messages: Array<{ level: 'info' | 'warn' | 'error'; msg: string }>;
}

export function recordingLogger(): RecordingLogger {
  const messages: RecordingLogger['messages'] = [];
  return {
    messages,
    info: (msg) => messages.push({ level: 'info', msg }),
    warn: (msg) => messages.push({ level: 'warn', msg }),
    error: (msg) => messages.push({ level: 'error', msg }),
  };
}
