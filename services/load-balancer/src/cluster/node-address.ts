// What a node may register as (docs/load-balancer.md). The schema checks the shapes
// (name pattern, port range, types); the host needs rules a pattern states badly, so they live here and give
// their own message. A host is a DNS name (labels of letters, digits and `-`, dot-separated, up to 253
// characters) or an IP literal; never an unspecified address (0.0.0.0, ::), which a node can listen on but
// nobody can connect to. Something that looks like dotted numbers but is no IPv4 address (999.1.1.1) is refused
// rather than sent to DNS.
import { isIPv4, isIPv6 } from 'node:net';

export const NODE_NAME_PATTERN = '^[A-Za-z0-9_-]{1,50}$';

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const UNSPECIFIED = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/** Why `host` cannot be a node's address, in words for the client; undefined when it can. */
export function invalidHostReason(host: string): string | undefined {
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIPv4(literal) || isIPv6(literal)) {
    return UNSPECIFIED.has(literal.toLowerCase()) || /^[0:]+$/.test(literal)
      ? `${JSON.stringify(host)} is an unspecified address that no one can connect to; advertise a reachable address`
      : undefined;
  }
  if (host.length === 0 || host.length > 253) return 'must be 1 to 253 characters';
  if (/^[\d.]+$/.test(host)) return `${JSON.stringify(host)} is not a valid IPv4 address`;
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  if (!labels.every((label) => LABEL.test(label))) {
    return `${JSON.stringify(host)} is not a host name (letters, digits and "-" in dot-separated labels of 1 to 63) or an IP address`;
  }
  return undefined;
}

/** The host as it goes in a URL: IPv6 literals in brackets. */
export function hostForUrl(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

/** The host as stored: IPv6 literals without their brackets. */
export function normalizeHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
