import { InvalidArgumentError, type Command } from 'commander';
import { runImport, type ImportSummary } from '../import/importer.js';
import { openSource } from '../import/open-source.js';
import { progressBar } from '../import/progress.js';
import { openReportFile } from '../import/report-file.js';
import { SourceError } from '../import/source.js';
import { keepImportHeapSmall } from './import-heap.js';
import { reportUsageError, print } from './operator.js';
import { EXIT_FAILURE, runCommand } from './services.js';

interface ImportOptions {
  readonly table?: string;
  readonly emailColumn?: string;
  readonly hashColumn?: string;
  readonly update?: boolean;
  readonly dryRun?: boolean;
  readonly report: string;
  readonly usernameDomain?: string;
  readonly batchSize: number;
}

// 2000 users are 22,000 parameters: within SQLite's 32,766 and the servers' 65,535.
const MAX_BATCH = 2000;

/** `sesame import <source>`: users from a legacy app's database, a JSON Lines or CSV file, or an export. */
export function addImportCommand(program: Command): void {
  program
    .command('import')
    .description('import users (with their password hashes) from another app or an export')
    .argument('<source>', 'a SQLite file, a postgres:// or mysql:// URL, a .jsonl or .csv file, or the output of sesame export')
    .option('--table <name>', 'the table of users (detected: users, user, auth_user, accounts)')
    .option('--email-column <name>', 'the column (or key) of the login: an email or a username (detected: email, username, login)')
    .option('--hash-column <name>', 'the column (or key) of the password hash (detected: password_hash, hashed_password, password)')
    .option('--update', 'give users already in Sesame the imported email and hash (else they are skipped)')
    .option('--dry-run', 'work everything out, write nothing but the report')
    .option('--report <path>', 'where to write rejected rows and weak hashes, one JSON per line', 'import-report.jsonl')
    .option('--username-domain <domain>', 'turn a login without @ into login@domain (else it is kept as the login)', parseDomain)
    .option('--batch-size <n>', `users per transaction, 1 to ${MAX_BATCH}`, parseBatchSize, 1000)
    .action((spec: string, options: ImportOptions, command: Command) =>
      runCommand(
        command,
        async ({ store, logger }) => {
          keepImportHeapSmall();
          let source;
          try {
            source = await openSource(spec, { table: options.table, loginColumn: options.emailColumn, hashColumn: options.hashColumn });
          } catch (error) {
            if (error instanceof SourceError) return reportUsageError(command, error.message);
            throw error;
          }
          logger.info({ source: source.description, dryRun: options.dryRun === true }, 'import started');
          const report = openReportFile(options.report);
          const bar = process.stderr.isTTY ? progressBar(process.stderr, () => source.progress()) : null;
          let summary: ImportSummary;
          try {
            summary = await runImport(
              source,
              store,
              { update: options.update === true, dryRun: options.dryRun === true, usernameDomain: options.usernameDomain ?? null, batchSize: options.batchSize, now: () => new Date() },
              report,
              (counts) => bar?.update(counts),
            );
            report.write({ summary });
          } finally {
            bar?.end();
            report.close();
            await source.close();
          }
          print(summaryLine(summary, options));
          if (summary.stopped === null) return 0;
          process.stderr.write(`import stopped after row ${summary.stopped.afterRow}: ${summary.stopped.error}\n`);
          return EXIT_FAILURE;
        },
        'stderr',
      ),
    );
}

/** The one line an import ends with. */
export function summaryLine(summary: ImportSummary, options: Pick<ImportOptions, 'dryRun' | 'report'>): string {
  const formats = Object.entries(summary.formats).map(([format, count]) => `${format} ${count}`).join(', ') || 'none';
  const parts = [
    `${summary.read} read`,
    `${summary.inserted} imported`,
    `${summary.updated} updated`,
    `${summary.skipped} skipped (already there)`,
    `${summary.rejected} rejected`,
    `hash formats: ${formats}`,
    `weak hashes: ${summary.weak}`,
    `dropped: ${summary.droppedSessions} sessions, ${summary.droppedResetTokens} reset tokens`,
    `report: ${options.report}`,
  ];
  return `${options.dryRun ? 'dry run, nothing written: ' : ''}${parts.join('; ')}`;
}

function parseBatchSize(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH) throw new InvalidArgumentError(`A whole number from 1 to ${MAX_BATCH}.`);
  return n;
}

function parseDomain(text: string): string {
  if (!/^[A-Za-z0-9.-]+$/.test(text) || text.startsWith('.') || !text.includes('.')) throw new InvalidArgumentError('A domain name, such as example.org.');
  return text;
}
