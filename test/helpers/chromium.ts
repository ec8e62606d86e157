/**
 * Debian's Chromium (apt package `chromium`, see .ci/run) driven by playwright-core: no browser build is
 * downloaded. On this closed network Chromium stalls at start unless its background networking (updates,
 * sync, QUIC probes) is off, so it starts with those flags and a fresh profile every time.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { peerMissing } from './peers.js';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** node:test's `skip` for browser tests: loud by hand, a failure in CI. */
export function chromiumMissing(): string | false {
  return peerMissing('chromium (Debian package)', existsSync(CHROMIUM));
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A laptop-sized headless Chromium with a throw-away profile. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'sigil-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 860 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
