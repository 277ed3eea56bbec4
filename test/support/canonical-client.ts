import { expect } from 'vitest';
import { requests } from './requests-like.js';

export const EMAIL = 'guillaume@holberton.io';
export const PASSWD = 'b4l0u';
export const NEW_PASSWD = 't4rt1fl3tt3';

/**
 * The contract's canonical client (DESIGN.md §2), step for step as the Python script does
 * it with `requests`: every status and body it asserts, it asserts here.
 */
export async function runCanonicalClient(url: string, email = EMAIL): Promise<void> {
  async function registerUser(email: string, password: string): Promise<void> {
    const r = await requests.post(`${url}/users`, { data: { email, password } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ email, message: 'user created' });
  }

  async function logInWrongPassword(email: string, password: string): Promise<void> {
    const r = await requests.post(`${url}/sessions`, { data: { email, password } });
    expect(r.statusCode).toBe(401);
  }

  async function logIn(email: string, password: string): Promise<string> {
    const r = await requests.post(`${url}/sessions`, { data: { email, password } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ email, message: 'logged in' });
    const sessionId = r.cookies.get('session_id');
    expect(sessionId).toBeTruthy();
    return sessionId!;
  }

  async function profileUnlogged(): Promise<void> {
    const r = await requests.get(`${url}/profile`);
    expect(r.statusCode).toBe(403);
  }

  async function profileLogged(sessionId: string): Promise<void> {
    const r = await requests.get(`${url}/profile`, { cookies: { session_id: sessionId } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ email });
  }

  async function logOut(sessionId: string): Promise<void> {
    const r = await requests.delete(`${url}/sessions`, { cookies: { session_id: sessionId } });
    expect(r.history).toEqual([302]);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ message: 'Bienvenue' });
  }

  async function resetPasswordToken(email: string): Promise<string> {
    const r = await requests.post(`${url}/reset_password`, { data: { email } });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { email: string; reset_token: string };
    expect(body.email).toBe(email);
    expect(typeof body.reset_token).toBe('string');
    return body.reset_token;
  }

  async function updatePassword(email: string, resetToken: string, newPassword: string): Promise<void> {
    const r = await requests.put(`${url}/reset_password`, {
      data: { email, reset_token: resetToken, new_password: newPassword },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ email, message: 'Password updated' });
  }

  await registerUser(email, PASSWD);
  await logInWrongPassword(email, NEW_PASSWD);
  await profileUnlogged();
  const sessionId = await logIn(email, PASSWD);
  await profileLogged(sessionId);
  await logOut(sessionId);
  const resetToken = await resetPasswordToken(email);
  await updatePassword(email, resetToken, NEW_PASSWD);
  await logIn(email, NEW_PASSWD);
}
