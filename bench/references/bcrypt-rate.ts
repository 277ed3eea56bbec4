import { hash, type Algorithm } from '@node-rs/argon2';
import bcrypt from 'bcrypt';

/**
 * The limit of a legacy bcrypt log-in: how many times per second this machine does the hashing
 * such a log-in does, with `inFlight` at once: the check of `hash` against `password` (the
 * library and call Sesame's check uses), then the argon2id hash at Sesame's default cost that
 * replaces it. Arguments: in flight, seconds, hash, password. Prints {"inFlight", "perSecond"}.
 */
const [inFlight, seconds, legacyHash, password] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!, process.argv[5]!];
// 2 is Argon2id (the binding's const enum cannot be read under isolated modules).
const rehash = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const started = performance.now();
const deadline = started + seconds * 1000;
let done = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < deadline) {
      if (!(await bcrypt.compare(password, legacyHash))) throw new Error('the bcrypt hash does not match its password');
      await hash(password, rehash);
      done += 1;
    }
  }),
);
// Log-ins started before the deadline finish after it: the rate is over the time they took.
console.log(JSON.stringify({ inFlight, perSecond: done / ((performance.now() - started) / 1000) }));
