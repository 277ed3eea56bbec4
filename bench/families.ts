import { load, type Measured } from './load.js';

/**
 * Issue 24: the log-in of each drop-in API family (python-jwt-auth's `/auth/login`, the course's
 * `/login`) beside `/token`'s, in the same run. All three check one password and start one token
 * session, so the hash bounds them alike: a family's rate should be ≥ 0.95 of `/token`'s.
 */

/** The API families a bench Sesame serves (SESAME_APIS). */
export const FAMILY_APIS = 'session,token,python-jwt-auth,flask-jwt-course';

/** The names of the three loads, as the report reads them. */
export const FAMILY_LOGINS = ['login /token beside the families', 'login /auth/login', 'login /login'] as const;

const json = { 'content-type': 'application/json' };
// The accounts each load rotates over, so that no account sees concurrent checks (the attempt
// limits would hold back more than 5 at once on one account).
const ACCOUNTS = 32;
const username = (index: number) => `bench_user${index}`;
// Email accounts of their own: the main bench's first ones hold the sessions its checks present.
const email = (index: number) => `family${index}@bench.example`;

/** Registers the accounts: email ones for `/token` and python-jwt-auth, username ones for the course. */
export async function registerFamilyAccounts(url: string, password: string): Promise<void> {
  const post = async (path: string, body: object) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  };
  for (let index = 0; index < ACCOUNTS; index += 1) {
    await Promise.all([post('/users', { email: email(index), password }), post('/register', { username: username(index), password })]);
  }
}

/** The three log-in loads at 16 connections, each rotating over its accounts, bodies in JSON. */
export function familyLoginLoads(url: string, password: string): Record<(typeof FAMILY_LOGINS)[number], (seconds: number) => Promise<Measured>> {
  const rotating = (path: string, body: (index: number) => object) => (seconds: number) => {
    let next = 0;
    return load({
      url: `${url}${path}`,
      connections: 16,
      seconds,
      method: 'POST',
      headers: json,
      setupRequest: (request) => {
        next = (next + 1) % ACCOUNTS;
        return { ...request, body: JSON.stringify(body(next)) };
      },
    });
  };
  return {
    'login /token beside the families': rotating('/token', (index) => ({ grant_type: 'password', username: email(index), password })),
    'login /auth/login': rotating('/auth/login', (index) => ({ email: email(index), password })),
    'login /login': rotating('/login', (index) => ({ username: username(index), password })),
  };
}
