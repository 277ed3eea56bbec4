import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from './support/harness.js';
import { testConfig } from './support/test-config.js';

let h: AppHarness;
afterEach(async () => h.close());

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const member = { address: '198.51.100.1' };
const MEMBERS = 20;

/**
 * An app that hashes one password at a time behind queues of 30, so a flood fills one at once
 * while the members' log-ins fit in one; `MEMBERS` users registered from `member`.
 */
async function setUp(): Promise<AppHarness> {
  h = await createAppHarness(testConfig({ hashing: { concurrency: 1, queueLimit: 30 } }));
  for (let index = 0; index < MEMBERS; index += 1) await h.auth.register(`member${index}@x.io`, 'member password', member);
  return h;
}

/**
 * 200 requests at once: a registration of a new email from `signUpAddress(index)`, and, every
 * tenth, a log-in of a member (each to an account of their own) from the member's address.
 * The statuses of each kind.
 */
async function flood(signUpAddress: (index: number) => string): Promise<{ signUps: number[]; logIns: number[] }> {
  const requests = Array.from({ length: 200 }, (_, index) => {
    const isLogIn = index % 10 === 9;
    const request = isLogIn
      ? h.app.inject({ method: 'POST', url: '/sessions', remoteAddress: member.address, headers: form, payload: `email=member${(index - 9) / 10}%40x.io&password=member+password` })
      : h.app.inject({ method: 'POST', url: '/users', remoteAddress: signUpAddress(index), headers: form, payload: `email=new${index}%40x.io&password=pw` });
    return request.then((response) => {
      if (response.statusCode === 429 || response.statusCode === 503) {
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        expect(Object.keys(response.json())).toEqual(['message']);
      }
      return { isLogIn, status: response.statusCode };
    });
  });
  const answers = await Promise.all(requests);
  return {
    signUps: answers.filter(({ isLogIn }) => !isLogIn).map(({ status }) => status),
    logIns: answers.filter(({ isLogIn }) => isLogIn).map(({ status }) => status),
  };
}

const count = (statuses: number[], status: number) => statuses.filter((each) => each === status).length;

describe('a sign-up flood', () => {
  it('from one address is limited to 50 registrations per window, and log-ins from elsewhere are all verified meanwhile', async () => {
    await setUp();
    const { signUps, logIns } = await flood(() => '203.0.113.1');
    expect(logIns).toEqual(Array(MEMBERS).fill(200));
    expect(count(signUps, 429)).toBe(signUps.length - 50);
    expect(count(signUps, 200) + count(signUps, 503)).toBe(50);
  });

  it('from many addresses fills only the queue of new passwords: log-ins from elsewhere are all verified meanwhile', async () => {
    await setUp();
    const { signUps, logIns } = await flood((index) => `10.0.${index >> 8}.${index & 255}`);
    expect(logIns).toEqual(Array(MEMBERS).fill(200));
    expect(count(signUps, 503)).toBeGreaterThan(0);
    expect(count(signUps, 200) + count(signUps, 503)).toBe(signUps.length);
  });
});
