import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Debian's Python, with python3-jwt, python3-cryptography and python3-requests (.ci/run
 * installs them): the libraries Flask resource servers and their clients run on.
 */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** The path of a script in test/python. */
export function pythonScript(name: string): string {
  return fileURLToPath(new URL(`../python/${name}`, import.meta.url));
}

/** Runs a script with `input` on stdin; resolves with its exit code and output. */
export function runPython(script: string, args: readonly string[] = [], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEBIAN_PYTHON, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
