import { describe, expect, it } from 'vitest';
import { testDatabaseName } from '../src/testing/index.js';

describe('testDatabaseName', () => {
  it('is a plain identifier made of the label and a random suffix', () => {
    expect(testDatabaseName('User Service: sign-up')).toMatch(/^t_user_service_sign_up_[0-9a-f]{8}$/);
  });

  it('differs on every call', () => {
    expect(testDatabaseName('same')).not.toBe(testDatabaseName('same'));
  });

  it('fits in 63 characters however long the label', () => {
    expect(testDatabaseName('x'.repeat(200))).toHaveLength(63);
  });
});
