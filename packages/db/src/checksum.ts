// Flyway's checksum of a migration script, bit for bit: CRC32 (IEEE) over the UTF-8 bytes of each line, line
// terminators (\n, \r\n, \r) and a leading byte order mark left out, read as a signed 32-bit integer. Because
// terminators are skipped, a script checked out with CRLF line endings has the same checksum as with LF.
import { crc32 } from 'node:zlib';

export function flywayChecksum(content: Buffer | string): number {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  let crc = 0;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    crc = crc32(line, crc);
  }
  return crc | 0;
}
