// Blob ids (docs/blob-service.md): 1..MAX_ID_LENGTH characters of `A-Z a-z 0-9 . _ -`, neither `.`
// nor `..`. So an id is always a single, harmless file name and a single path segment: no separator, no NUL,
// no way out of a data folder or into another path, however the request encoded it (the router has already
// decoded `%2F` to `/`, which fails here). The blob server checks the length against its MAX_ID_LENGTH; a
// proxy in front, which does not know the node's limit, checks the characters and leaves the length to it.

const ID_CHARACTERS = /^[A-Za-z0-9._-]+$/;

/** Why `id` is not a valid blob id, in words for the client; undefined when it is valid. */
export function invalidIdReason(id: string, maxLength = Infinity): string | undefined {
  if (id.length === 0) return 'the blob id is empty';
  if (id.length > maxLength) {
    return `the blob id is ${id.length} characters long; MAX_ID_LENGTH is ${maxLength}`;
  }
  if (!ID_CHARACTERS.test(id)) {
    return `the blob id ${JSON.stringify(id)} may only contain A-Z a-z 0-9 . _ -`;
  }
  if (id === '.' || id === '..') return `the blob id ${JSON.stringify(id)} is reserved`;
  return undefined;
}

/** The id rule as JSON Schema, for route schemas and the OpenAPI description. */
export function idSchemaOptions(maxLength: number) {
  return {
    minLength: 1,
    maxLength,
    pattern: '^(?!\\.\\.?$)[A-Za-z0-9._-]+$',
    description: `1 to ${maxLength} characters of A-Z a-z 0-9 . _ -, neither "." nor ".."`,
  };
}
