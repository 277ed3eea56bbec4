import bcrypt from 'bcrypt';

/**
 * The limit of a legacy bcrypt log-in: how many bcrypt checks per second this machine makes
 * with `inFlight` at once, of `hash` against `password` (the library and call Sesame's check
 * uses). Arguments: in flight, seconds, hash, password. Prints {"inFlight", "perSecond"}.
 */
const [inFlight, seconds, hash, password] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!, process.argv[5]!];
const started = performance.now();
const deadline = started + seconds * 1000;
let done = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < deadline) {
      if (!(await bcrypt.compare(password, hash))) throw new Error('the bcrypt hash does not match its password');
      done += 1;
    }
  }),
);
// Checks started before the deadline finish after it: the rate is over the time they took.
console.log(JSON.stringify({ inFlight, perSecond: done / ((performance.now() - started) / 1000) }));
