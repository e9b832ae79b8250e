/** The `hradba` command: serve (the default), check, explain and report. */
/** The `hradba` command: serve (the default), check, explain, audit and report. */
import { Command, Option } from 'commander';
import { AUDIT_HELP, audit } from './audit-command.js';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import { check } from './check-command.js';
import { explain } from './explain-command.js';
import { health } from './health-command.js';
import { exportCommand } from './export-command.js';
import { report } from './report-command.js';
import { serve } from './serve-command.js';
import { packageVersion } from './version.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const configOption = (): Option =>
  new Option('-c, --config <file>', 'configuration file (YAML)').default(DEFAULT_CONFIG_FILE, 'the embedded config/hradba.yaml');

const program = new Command()
  .name('hradba')
  .description(
    "Protective DNS resolver: answers banned vendors' domains with a sinkhole, forwards the rest, " +
      'and logs every blocked lookup per client with the legal basis of the ban.',
  )
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nSignals (serve): SIGHUP reloads config and lists; SIGUSR2 reloads once without the shrink guard; SIGUSR1 empties the answer cache;\n' +
      'SIGTERM/SIGINT finish queries in progress and exit 0.\n' +
      'Exit codes: 0 ok, 1 runtime failure (e.g. port in use), 2 usage, 70 internal error, 78 invalid config or list.',
  );

program
  .command('serve', { isDefault: true })
  .description('run the resolver (the default command)')
  .addOption(configOption())
  .option('-l, --listen <addr:port>', 'address to serve on UDP and TCP, e.g. 127.0.0.1:53 or [::1]:53; repeatable; replaces the config\'s listen', collect)
  .option('-u, --upstream <upstream>', 'upstream resolver, e.g. 192.0.2.53, [2001:db8::53]:53, tcp://192.0.2.53, tls://dns.example@192.0.2.53 or https://dns.example@192.0.2.53/dns-query; repeatable; replaces the config\'s upstreams', collect)
  .option('-a, --admin <addr:port>', 'turn the admin endpoint (/healthz, /readyz, /metrics) on at this address, e.g. 127.0.0.1:9153')
  .action(async (opts: { config: string; listen?: string[]; upstream?: string[]; admin?: string }) => {
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
  .option('--type <type>', 'the query type (A, AAAA, DS, ...): a DS for a listed apex goes upstream', 'A')
  .addOption(configOption())
  .action(async (domain: string, opts: { config: string; client?: string; json?: boolean; type?: string }) => {
    process.exitCode = await explain(domain, opts);
  });

program
  .command('export')
  .description('write the active policy of a client group as an RPZ zone (for BIND, Unbound, Knot Resolver, PowerDNS)')
  .argument('<format>', 'rpz')
  .option('--group <name>', 'the client group whose policy is exported', 'default')
  .option('--origin <zone>', 'the zone name of the RPZ', 'rpz.hradba')
  .option('-o, --output <file>', 'write to this file instead of standard output')
  .addOption(configOption())
  .action(async (format: string, opts: { config: string; group?: string; origin?: string; output?: string }) => {
    process.exitCode = await exportCommand(format, opts);
  });

program
  .command('report')
  .description('summarise a hradba log: per client, sinkholed lookups by vendor with first and last seen')
  .argument('[file]', "log file, or '-' for standard input", '-')
  .option('--json', 'print JSON instead of a table')
  .action(async (file: string, opts: { json?: boolean }) => {
    process.exitCode = await report(file, opts);
  });

program
  .command('audit')
  .description("list the names of FILEs that the policy in force allows but that look like an enabled vendor's (footprint audit)")
  .argument('[file...]', "names to audit: one a line, hosts files, ranking CSVs; gzip too; '-' for standard input")
  .option('--tracker <vendor=file>', 'a tracker list whose names the vendor is known to use; its names are audited too; repeatable', collect)
  .option('--vendors <file>', 'vendor data with keywords and decisions (default: the shipped blocklists/vendors.yaml)')
  .option('--undecided', 'print only the undecided hits (the counts still cover all)')
  .option('--json', 'print the result as JSON')
  .addOption(configOption())
  .addHelpText('after', AUDIT_HELP)
  .action(async (files: string[], opts: { config: string; tracker?: string[]; vendors?: string; undecided?: boolean; json?: boolean }) => {
    process.exitCode = await audit(files, opts);
  });

program
  .command('health')
  .description('ask the local listener for localhost A over UDP; exit 0 on a valid answer, 1 otherwise (for HEALTHCHECK)')
  .option('-s, --server <addr:port>', "where to ask; default: the config's first listen address (0.0.0.0 and :: mean loopback)")
  .option('-t, --timeout <duration>', 'how long to wait for the answer', '2s')
  .addOption(configOption())
  .action(async (opts: { config: string; server?: string; timeout: string }) => {
    process.exitCode = await health(opts);
  });

await program.parseAsync(process.argv);
