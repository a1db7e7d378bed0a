// The value the global setup hands to every test file, typed for `inject` from 'vitest'.
export const SERVER_URL_KEY = 'testDatabaseServerUrl';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the PostgreSQL server the tests create their databases on (its `postgres` database). */
    testDatabaseServerUrl: string;
  }
}
