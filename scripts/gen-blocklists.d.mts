/** Types of what the block-list generator exports, for the tests that check its extraction. */
/** blocklists/vendors.yaml, absolute. */
export declare const VENDORS_YAML: string;
export declare const ENABLED_BY_DEFAULT: Set<string>;
export declare function doNotBlockNames(notes: readonly string[] | undefined): string[];
export declare function czechFirst<T extends { authority: string }>(basis: readonly T[]): T[];
/** main([vendors.yaml [, outDir]]) writes the lists and README.md; returns one row per list written. */
export declare function main(argv?: string[]): { id: string; count: number; enabled: boolean }[];
/** footprint.block of a vendor, checked (name and source required, tier main or extended) and split by tier. */
export declare function footprintBlocks(vendor: { id: string; footprint?: { block?: unknown[] } }): {
  main: { suffix: string[]; exact: string[] };
  extended: { suffix: string[]; exact: string[] };
};
