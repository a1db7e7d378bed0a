// What a config loader refuses, as the lines a user would read: the problems of the ConfigError it throws. A
// loader that accepts the settings fails the test, so a rule that stopped refusing cannot pass unnoticed.
import { ConfigError } from '../config.js';

export function configProblems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
