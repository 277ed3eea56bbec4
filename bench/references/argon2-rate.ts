import { hash, type Algorithm } from '@node-rs/argon2';

/**
 * The login limit: how many argon2id hashes per second this machine computes with `inFlight`
 * at once, at Sesame's default cost (19 MiB, 2 iterations, 1 lane). Arguments: in flight,
 * seconds. Prints {"inFlight", "perSecond"}.
 */
const inFlight = Number(process.argv[2]);
const seconds = Number(process.argv[3]);
// 2 is Argon2id (the binding's const enum cannot be read under isolated modules).
const options = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const started = performance.now();
const deadline = started + seconds * 1000;
let done = 0;
await Promise.all(
  Array.from({ length: inFlight }, async (_, worker) => {
    while (performance.now() < deadline) {
      await hash(`password-${worker}-${done}`, options);
      done += 1;
    }
  }),
);
// Hashes started before the deadline finish after it: the rate is over the time they took.
console.log(JSON.stringify({ inFlight, perSecond: done / ((performance.now() - started) / 1000) }));
