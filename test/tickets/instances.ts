import { afterAll, afterEach } from 'vitest';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';

/**
 * `start` gives a test its own instance (stopped after the test); `shared`
 * one default instance for the tests that change nothing (refused requests),
 * which saves a start per case. Call once per file, at the top level.
 */
export function ticketdInstances() {
  let own: TestTicketd | undefined;
  let sharedOne: TestTicketd | undefined;
  afterEach(async () => {
    await own?.stop();
    own = undefined;
  });
  afterAll(async () => {
    await sharedOne?.stop();
  });
  return {
    start: async (config?: Record<string, unknown>): Promise<TestTicketd> => {
      own = await startTestTicketd(config ? { config } : {});
      return own;
    },
    shared: async (): Promise<TestTicketd> => {
      sharedOne ??= await startTestTicketd();
      return sharedOne;
    },
  };
}
