/** Every text the terminus entry point puts in a health result. */
export const TERMINUS_MESSAGES = {
  shuttingDown: () => 'The app is shutting down: it takes no new streams.',
  brokerDown: (detail: string | undefined) =>
    `The broker is down${detail ? ` (${detail})` : ''}: this instance cannot serve joins until it is back.`,
} as const;
