import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type ServerProcess } from './support/server-process.js';
import { tempDatabasePath } from './support/test-config.js';

/**
 * The README's tour, run as a reader would: every shell block of its section, top to bottom, in
 * one bash, against a fresh Sesame on its defaults. A `# ` line under a command is what the
 * README says that command prints.
 */

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const TOUR_HEADING = '## A five-minute tour';
const README_ADDRESS = 'localhost:5000';
// Printed after each command, so that each command's output can be told apart.
const STEP_END = '--- end of a README step ---';

interface Step {
  readonly command: string;
  readonly output: string;
}

/** The commands of the README's tour, each with the output the README shows under it. */
function readTourSteps(markdown: string): Step[] {
  const start = markdown.indexOf(`\n${TOUR_HEADING}\n`);
  if (start < 0) throw new Error(`README has no "${TOUR_HEADING}" section`);
  const next = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  const steps: { command: string; output: string[] }[] = [];
  for (const [, block] of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    let continued = '';
    for (const line of block!.split('\n')) {
      if (continued) {
        continued += `\n${line}`;
      } else if (line === '#' || line.startsWith('# ')) {
        const step = steps.at(-1);
        if (!step) throw new Error(`README's tour shows output before any command: ${line}`);
        step.output.push(line.slice(2));
        continue;
      } else if (line.trim() === '') {
        continue;
      } else {
        continued = line;
      }
      if (!continued.endsWith('\\')) {
        steps.push({ command: continued, output: [] });
        continued = '';
      }
    }
  }
  return steps.map(({ command, output }) => ({ command, output: output.join('\n') }));
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

// A laptop without jq still passes `npm test`; CI, which must prove the README, never skips.
const hasTools = spawnSync('bash', ['-c', 'command -v curl && command -v jq']).status === 0;
if (!hasTools && process.env.CI === 'true') throw new Error("the README's tour needs curl and jq on the PATH under CI");

describe.skipIf(!hasTools)("the README's tour (needs curl and jq)", () => {
  let server: ServerProcess | undefined;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'sesame-tour-'));
    server = await startServer({ database: `sqlite:${tempDatabasePath()}` });
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    rmSync(folder, { recursive: true, force: true });
  });

  it('prints what the README shows, command by command, on a fresh server with the defaults', async () => {
    const steps = readTourSteps(readFileSync(README, 'utf8'));
    expect(steps.length).toBeGreaterThan(10);
    // Every request goes to the address the README names, which the test points at its own server.
    for (const { command } of steps) if (command.includes('curl ')) expect(command).toContain(README_ADDRESS);

    const address = new URL(server!.url).host;
    const script = steps.map(({ command }) => `{\n${command.replaceAll(README_ADDRESS, address)}\n} 2>&1\nprintf '\\n%s\\n' '${STEP_END}'\n`).join('');
    const scriptFile = join(folder, 'tour.sh');
    writeFileSync(scriptFile, script);
    // HOME is the scratch folder, so no ~/.curlrc of the machine changes what curl does.
    const { stdout } = await run('bash', [scriptFile], folder, { PATH: process.env.PATH, HOME: folder, LC_ALL: 'C' });

    const printed = stdout.split(`\n${STEP_END}\n`).slice(0, steps.length).map((output) => output.replace(/\n+$/, ''));
    expect(steps.map(({ command }, index) => ({ command, output: printed[index] }))).toEqual(steps);
  });
});

describe("the README's operations section", () => {
  it('names only commands and options that sesame has', async () => {
    const markdown = readFileSync(README, 'utf8');
    const start = markdown.indexOf('\n## Operations\n');
    expect(start).toBeGreaterThan(0);
    const section = markdown.slice(start, markdown.indexOf('\n## ', start + 1));
    const commands = section.split('\n').filter((line) => line.startsWith('sesame '));
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const command of commands) {
      const [, group, name, ...rest] = command.split(' ');
      const { code, stdout } = await runCli([group!, name!, '--help']);
      const options = rest.filter((word) => word.startsWith('--'));
      const known = options.filter((option) => stdout.includes(`${option} `) || stdout.includes(`${option}\n`));
      expect({ command, code, usage: stdout.startsWith(`Usage: sesame ${group} ${name} `), known }).toEqual({ command, code: 0, usage: true, known: options });
    }
  });
});
