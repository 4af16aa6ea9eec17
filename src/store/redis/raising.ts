/**
 * A script's variant that also writes a webhook event (docs/events.md) in
 * the same atomic step: `run` is the script as a function, ARGV[a] the
 * event's outbox entry, appended to the outbox LIST KEYS[k] when `happened`
 * holds of the script's answer.
 */
export const raising = (run: string, k: number, a: number, happened: string) => `${run}
local answer = run()
if ${happened} then redis.call('RPUSH', KEYS[${k}], ARGV[${a}]) end
return answer
`;
