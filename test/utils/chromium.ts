import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`): never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

export interface LaunchChromiumOptions {
  /** Accept any TLS certificate: for a test server's self-signed one (`--ignore-certificate-errors`). */
  ignoreCertificateErrors?: boolean;
}

/** Launches Debian's Chromium headless, with the flags every browser test uses. */
export function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.ignoreCertificateErrors ? ['--ignore-certificate-errors'] : []),
    ],
  });
}
