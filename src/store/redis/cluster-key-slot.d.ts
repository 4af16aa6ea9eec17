/**
 * Types for `cluster-key-slot` 1.x (CommonJS, no bundled types; the slot
 * function ioredis itself uses): the Redis Cluster hash slot of a key,
 * hash tags honoured.
 */
declare module 'cluster-key-slot' {
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    function generateMulti(keys: (string | Buffer)[]): number;
  }
  export = calculateSlot;
}
