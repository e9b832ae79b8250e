#!/usr/bin/env node
/** The `hradba` command: serve (the default), check, explain and report. */
import { Command, Option } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import { check } from './check-command.js';
import { explain } from './explain-command.js';
import { report } from './report-command.js';
import { serve } from './serve-command.js';
import { packageVersion } from './version.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const configOption = (): Option =>
  new Option('-c, --config <file>', 'configuration file (YAML)').default(DEFAULT_CONFIG_FILE, 'the embedded config/hradba.yaml');

const program = new Command()
  .name('hradba')
  .description(
    'Protective DNS resolver: answers banned vendors\' domains with a sinkhole, forwards the rest,\n' +
      'and logs every blocked lookup per client with the legal basis of the ban.',
  )
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nSignals (serve): SIGHUP reloads config and lists; SIGTERM/SIGINT finish queries in progress and exit 0.\n' +
      'Exit codes: 0 ok, 1 runtime failure (e.g. port in use), 2 usage, 70 internal error, 78 invalid config or list.',
  );

program
  .command('serve', { isDefault: true })
  .description('run the resolver (the default command)')
  .addOption(configOption())
  .option('-l, --listen <addr:port>', 'address to serve on UDP and TCP, e.g. 127.0.0.1:53 or [::1]:53; repeatable; replaces the config\'s listen', collect)
  .option('-u, --upstream <upstream>', 'upstream resolver, e.g. 192.0.2.53, [2001:db8::53]:53, tcp://192.0.2.53, tls://dns.example@192.0.2.53 or https://dns.example@192.0.2.53/dns-query; repeatable; replaces the config\'s upstreams', collect)
  .action(async (opts: { config: string; listen?: string[]; upstream?: string[] }) => {
    await serve(opts);
  });

program
  .command('check')
  .description('validate the config and every list it names; print entries per list; exit non-zero on any error')
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    process.exitCode = await check(opts.config);
  });

program
  .command('explain')
  .description('say whether DOMAIN would be blocked, and by which entry, list, vendor and legal basis')
  .argument('<domain>', 'the name to look up, e.g. chat.deepseek.com')
  .option('--client <ip>', 'also check this client address against the access list')
  .option('--json', 'print the verdict as JSON')
  .addOption(configOption())
  .action(async (domain: string, opts: { config: string; client?: string; json?: boolean }) => {
    process.exitCode = await explain(domain, opts);
  });

program
  .command('report')
  .description('summarise a hradba log: per client, sinkholed lookups by vendor with first and last seen')
  .argument('[file]', "log file, or '-' for standard input", '-')
  .option('--json', 'print JSON instead of a table')
  .action(async (file: string, opts: { json?: boolean }) => {
    process.exitCode = await report(file, opts);
  });

await program.parseAsync(process.argv);
