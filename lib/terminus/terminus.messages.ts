/** Every text the terminus entry point puts in a health result. */
export const TERMINUS_MESSAGES = {
  shuttingDown: () => 'The app is shutting down: it takes no new streams.',
  brokerDown: () => 'The broker is down: this instance cannot serve joins (new streams) until it is back; see detail.',
} as const;
