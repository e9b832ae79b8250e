/** `hradba report`: per-client counts of sinkholed lookups by vendor, read from hradba's JSON log. */
import { buildReport, formatReportJson, formatReportTable, readLines } from '../report/report.js';
import { EXIT } from './exit-codes.js';

/** report prints the report for a log file or standard input ('-') and returns the exit code. */
export async function report(source: string, opts: { json?: boolean }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  try {
    const result = await buildReport(readLines(source));
    out.write(opts.json === true ? formatReportJson(result) : formatReportTable(result));
    return EXIT.OK;
  } catch (err) {
    process.stderr.write(`hradba report: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.FAILURE;
  }
}
