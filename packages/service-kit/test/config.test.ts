import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TObject } from 'typebox';
import { Env, loadConfig, parseBytes, Type } from '../src/index.js';
import { configProblems } from '../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'service-kit-config-'));
const noDotenv = join(dir, 'absent.env');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Config = Type.Object({
  PORT: Env.port(3001),
  HOST: Env.host('127.0.0.1'),
  MAX_BLOB_SIZE: Env.bytes('10MiB'),
  SHUTDOWN_TIMEOUT: Env.duration('10s'),
  REPLICATE: Env.boolean(true),
  LOAD_BALANCER_URL: Env.url('http://127.0.0.1:3000'),
  INTERNAL_TOKEN: Env.optionalString(),
});

function load(env: Record<string, string>) {
  return loadConfig(Config, { env: { ...env }, dotenvPath: noDotenv });
}

const problemsFor = (env: Record<string, string>, schema: TObject = Config) =>
  configProblems(() => loadConfig(schema, { env: { ...env }, dotenvPath: noDotenv }));

describe('loadConfig', () => {
  it('applies the defaults, decoded', () => {
    expect(load({})).toEqual({
      PORT: 3001,
      HOST: '127.0.0.1',
      MAX_BLOB_SIZE: 10 * 1024 * 1024,
      SHUTDOWN_TIMEOUT: 10_000,
      REPLICATE: true,
      LOAD_BALANCER_URL: 'http://127.0.0.1:3000',
    });
  });

  it('converts variables to their types', () => {
    const config = load({
      PORT: '4242',
      REPLICATE: '0',
      SHUTDOWN_TIMEOUT: '500ms',
      INTERNAL_TOKEN: 'abc',
      LOAD_BALANCER_URL: 'http://lb:3000',
    });

    expect(config).toMatchObject({
      PORT: 4242,
      REPLICATE: false,
      SHUTDOWN_TIMEOUT: 500,
      INTERNAL_TOKEN: 'abc',
      LOAD_BALANCER_URL: 'http://lb:3000',
    });
  });

  it.each([
    ['10MiB', 10_485_760],
    ['1KB', 1000],
    ['1kB', 1000],
    ['512', 512],
    ['2 GB', 2_000_000_000],
    ['1GiB', 1_073_741_824],
    ['0', 0],
  ])('reads the size %j as %d bytes', (text, bytes) => {
    expect(load({ MAX_BLOB_SIZE: text }).MAX_BLOB_SIZE).toBe(bytes);
    expect(parseBytes(text)).toBe(bytes);
  });

  it.each(['abc', '10 MiBs', '1.5MB', '-1', '10mb'])('rejects the size %j, naming the variable', (text) => {
    expect(problemsFor({ MAX_BLOB_SIZE: text })).toEqual([
      `MAX_BLOB_SIZE must be a size in bytes such as 1048576, 500KB or 10MiB, got ${JSON.stringify(text)}`,
    ]);
  });

  it.each(['abc', '3.5', '0', '70000', '3000x'])('rejects the port %j', (text) => {
    expect(problemsFor({ PORT: text })).toEqual([
      `PORT must be an integer from 1 to 65535, got ${JSON.stringify(text)}`,
    ]);
  });

  it.each([
    ['0', 'an integer from 1 to 100'],
    ['101', 'an integer from 1 to 100'],
    ['2.5', 'an integer from 1 to 100'],
  ])('rejects the integer %j with its bounds', (text, expected) => {
    const schema = Type.Object({ POOL_SIZE: Env.integer(10, { minimum: 1, maximum: 100 }) });

    expect(problemsFor({ POOL_SIZE: text }, schema)).toEqual([
      `POOL_SIZE must be ${expected}, got ${JSON.stringify(text)}`,
    ]);
    expect(loadConfig(schema, { env: { POOL_SIZE: '100' }, dotenvPath: noDotenv }).POOL_SIZE).toBe(100);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsFor({
      PORT: 'abc',
      MAX_BLOB_SIZE: 'lots',
      REPLICATE: 'yes',
      LOAD_BALANCER_URL: 'lb:3000',
    });

    expect(problems).toEqual([
      'PORT must be an integer from 1 to 65535, got "abc"',
      'MAX_BLOB_SIZE must be a size in bytes such as 1048576, 500KB or 10MiB, got "lots"',
      'REPLICATE must be true, false, 1 or 0, got "yes"',
      'LOAD_BALANCER_URL must be an absolute URL such as http://localhost:3000, got "lb:3000"',
    ]);
  });

  it("reports the logger's variables with the service's own, since every service reads them", () => {
    expect(problemsFor({ PORT: 'abc', LOG_LEVEL: 'loud' })).toEqual([
      'PORT must be an integer from 1 to 65535, got "abc"',
      'LOG_LEVEL must be one of error, warn, info, http, verbose, debug, silly, got "loud"',
    ]);
    expect(problemsFor({ LOGZIO_TOKEN: 't', LOGZIO_PROTOCOL: 'ftp' })).toEqual([
      'LOGZIO_PROTOCOL must be https or http, got "ftp"',
    ]);
    expect(problemsFor({ LOGZIO_TOKEN: 't', LOGZIO_LISTENER: 'listener.example/path' })).toEqual([
      'LOGZIO_LISTENER must be a host or host:port, got "listener.example/path"',
    ]);
    // Without a token the LOGZIO_* settings are never read, so they cannot stop a service.
    expect(load({ LOGZIO_PROTOCOL: 'ftp' }).PORT).toBe(3001);
  });

  it('puts them all in the error message, one per line', () => {
    expect(() => load({ PORT: 'abc', REPLICATE: 'yes' })).toThrow(
      'Invalid configuration:\n  PORT must be an integer from 1 to 65535, got "abc"\n  REPLICATE must be true, false, 1 or 0, got "yes"',
    );
  });

  it('names a required variable that is missing', () => {
    const schema = Type.Object({ DATABASE_URL: Env.url(), SECRET: Env.string() });

    expect(problemsFor({}, schema)).toEqual([
      'DATABASE_URL is required: an absolute URL such as http://localhost:3000',
      'SECRET is required: a non-empty string',
    ]);
  });

  it('treats an empty variable as unset', () => {
    const config = load({ PORT: '', INTERNAL_TOKEN: '' });

    expect(config.PORT).toBe(3001);
    expect(config.INTERNAL_TOKEN).toBeUndefined();
  });

  it('loads a .env file, but variables already set win', () => {
    const dotenvPath = join(dir, 'service.env');
    writeFileSync(dotenvPath, 'PORT=4000\nINTERNAL_TOKEN=from-file\nMAX_BLOB_SIZE=1KiB\n');
    const env: Record<string, string | undefined> = { PORT: '5000' };

    const config = loadConfig(Config, { env, dotenvPath });

    expect(config).toMatchObject({ PORT: 5000, INTERNAL_TOKEN: 'from-file', MAX_BLOB_SIZE: 1024 });
    expect(env.INTERNAL_TOKEN).toBe('from-file'); // visible to the rest of the process (the logger reads env too)
  });
});
