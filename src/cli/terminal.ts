import { createInterface } from 'node:readline/promises';
import { CommandFailure, UsageError } from './operator.js';

/** Whether a person types at stdin (a terminal), rather than a pipe or a file. */
export function isInteractive(): boolean {
  return process.stdin.isTTY === true;
}

/**
 * A new password: on a terminal, typed twice without echo; otherwise the first line of stdin,
 * without its line end. Never from argv, which `ps` and shell histories show to others. Throws
 * `UsageError` when stdin ends before it holds anything, `CommandFailure` when the two typings
 * differ or the prompt is cancelled.
 */
export async function readNewPassword(): Promise<string> {
  if (!isInteractive()) return readStdinLine();
  const password = await readHidden('New password: ');
  if ((await readHidden('Type it again: ')) !== password) throw new CommandFailure('The two passwords differ; nothing changed.');
  return password;
}

/** Asks a yes-or-no question on the terminal; only `y` or `yes` is a yes. */
export async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

// Reads only up to the first line end, so that a producer of more is not waited for.
async function readStdinLine(): Promise<string> {
  process.stdin.setEncoding('utf8');
  let text = '';
  for await (const chunk of process.stdin as AsyncIterable<string>) {
    text += chunk;
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end).replace(/\r$/, '');
  }
  if (text === '') throw new UsageError('no password on stdin: type it at a terminal, or give it as one line of stdin');
  return text.replace(/\r$/, '');
}

// The terminal in raw mode echoes nothing, so the password never shows on the screen.
function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  // Echo goes off before the prompt shows: what is typed (or pasted) the moment it appears is never echoed.
  input.setRawMode(true);
  process.stderr.write(prompt);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed.join(''));
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n') return finish();
        // Raw mode turns Ctrl-C and Ctrl-D into characters: both cancel.
        if (character === '\u0003' || character === '\u0004') return finish(new CommandFailure('Cancelled; nothing changed.'));
        if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
        else typed.push(character);
      }
    };
    input.on('data', onData);
  });
}
