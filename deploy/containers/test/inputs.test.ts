// What `pnpm test:containers` reads before it starts anything: which base images the stack needs (and which of
// them it can stand in for), which ports the compose file publishes, which services are one-shot, and the Debian
// mirror debootstrap uses. A mistake here shows up as a stand-in built under the wrong name, a port check that
// misses a port, or a wait that never ends; these tests catch it without Docker.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composePulledImages, dockerfileBaseImages, dockerfileCopiedStages } from '../base-images.js';
import { Compose, type ComposeConfig } from '../compose.js';
import { splitRule, undoCommands } from '../netfilter.js';
import { mirrorIn } from '../rootfs.js';
import { standInFor } from '../stand-ins.js';

describe('dockerfileBaseImages', () => {
  it("names the repository Dockerfile's base image once, not its own stages", () => {
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfileBaseImages(dockerfile)).toEqual(['node:20-bookworm-slim']);
  });

  it('substitutes ARG defaults declared before the first FROM, and skips scratch and stage names', () => {
    const dockerfile = [
      'ARG NODE_IMAGE=node:22-bookworm-slim',
      'ARG PG="postgres:15"',
      'FROM --platform=linux/amd64 ${NODE_IMAGE} AS build',
      'FROM build AS test',
      'FROM $PG',
      'FROM ${MISSING:-debian:bookworm} AS other',
      'FROM scratch',
      'COPY --from=build / /',
    ].join('\n');
    expect(dockerfileBaseImages(dockerfile)).toEqual([
      'node:22-bookworm-slim',
      'postgres:15',
      'debian:bookworm',
    ]);
  });
});

describe('dockerfileCopiedStages', () => {
  it('names the stages copied from, which nothing is built on, once', () => {
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfileCopiedStages(dockerfile)).toEqual(['build']);
    const other =
      'FROM a AS deps\nFROM a AS out\nCOPY --chown=1:1 --from=deps /x /x\nCOPY --from=alpine:3 /y /y\n';
    expect(dockerfileCopiedStages(other)).toEqual(['deps']);
  });
});

describe('standInFor', () => {
  it('stands in for node and postgres tags by major, and for nothing else', () => {
    expect(standInFor('node:20-bookworm-slim')).toEqual({ kind: 'node', major: '20' });
    expect(standInFor('node:20.19-slim')).toEqual({ kind: 'node', major: '20' });
    expect(standInFor('postgres:15-bookworm')).toEqual({ kind: 'postgres', major: '15' });
    expect(standInFor('docker.io/library/postgres:15.8')).toEqual({ kind: 'postgres', major: '15' });
    expect(standInFor('node:20-alpine')).toBeUndefined();
    expect(standInFor('postgres:15-alpine')).toBeUndefined();
    expect(standInFor('flyway/flyway:11')).toBeUndefined();
  });
});

const config: ComposeConfig = {
  services: {
    postgres: { image: 'postgres:15-bookworm' },
    migrate: {
      build: { target: 'migrate' },
      image: 'x/migrate:local',
      depends_on: { postgres: { condition: 'service_healthy' } },
    },
    // v1 prints ports as strings, v2 as objects
    'cache-proxy': { build: { target: 'cache-proxy' }, ports: ['127.0.0.1:4242:4242/tcp'] },
    'user-service': {
      build: { target: 'user-service' },
      ports: [{ target: 3100, published: '3100', host_ip: '127.0.0.1' }, { target: 9229 }],
      depends_on: { migrate: { condition: 'service_completed_successfully' } },
    },
    analytics: { build: { target: 'analytics-service' }, ports: ['3200:3200'] },
    flyway: { image: 'flyway/flyway:11', profiles: ['flyway'], ports: ['8080:8080'] },
  },
};

describe('the compose configuration', () => {
  it('pulls only the images of services up starts and does not build', () => {
    expect(composePulledImages(config)).toEqual(['postgres:15-bookworm']);
  });

  it('lists every published port in both spellings, and none of a profile', () => {
    expect(Compose.publishedPorts(config)).toEqual([
      { service: 'cache-proxy', hostIp: '127.0.0.1', hostPort: 4242, containerPort: 4242 },
      { service: 'user-service', hostIp: '127.0.0.1', hostPort: 3100, containerPort: 3100 },
      { service: 'analytics', hostIp: '0.0.0.0', hostPort: 3200, containerPort: 3200 },
    ]);
  });

  it('counts as one-shot the services others wait for to complete', () => {
    expect([...Compose.oneShotServices(config)]).toEqual(['migrate']);
  });
});

describe('mirrorIn', () => {
  it('finds the suite’s mirror in deb822 sources, not the security archive nor a disabled or source stanza', () => {
    const sources = [
      'Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main',
      'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no',
      'Types: deb\n# http://snapshot.debian.org/archive/debian-security/x\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security',
      'Types: deb\n# http://snapshot.debian.org/archive/debian/x\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates',
    ].join('\n\n');
    expect(mirrorIn(sources)).toBe('http://deb.debian.org/debian');
  });

  it('reads one-line entries, with options', () => {
    const sources = [
      '# deb http://commented.example/debian bookworm main',
      'deb http://security.debian.org/debian-security bookworm-security main',
      'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib',
    ].join('\n');
    expect(mirrorIn(sources)).toBe('http://mirror.example/debian');
    expect(mirrorIn('deb http://mirror.example/debian trixie main')).toBeUndefined();
  });
});

describe('undoCommands', () => {
  it('deletes the rules and chains that appeared, last rule first, and puts the policies back', () => {
    const before = ['-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-N MINE', '-A FORWARD -j MINE'];
    const after = [
      '-P INPUT ACCEPT',
      '-P FORWARD DROP',
      '-N MINE',
      '-N DOCKER',
      '-A FORWARD -j MINE',
      '-A FORWARD -j DOCKER',
      '-A FORWARD -o rebase-docker0 -m comment --comment "a b" -j ACCEPT',
    ];
    expect(undoCommands(before, after)).toEqual([
      ['-D', 'FORWARD', '-o', 'rebase-docker0', '-m', 'comment', '--comment', 'a b', '-j', 'ACCEPT'],
      ['-D', 'FORWARD', '-j', 'DOCKER'],
      ['-F', 'DOCKER'],
      ['-X', 'DOCKER'],
      ['-P', 'FORWARD', 'ACCEPT'],
    ]);
    expect(undoCommands(after, after)).toEqual([]);
    expect(splitRule('-A X -s 10.214.0.0/24 ! -o br-1 -j MASQUERADE')).toEqual([
      '-A',
      'X',
      '-s',
      '10.214.0.0/24',
      '!',
      '-o',
      'br-1',
      '-j',
      'MASQUERADE',
    ]);
  });
});
