/** Types of what the block-list generator exports, for the tests that check its extraction. */
export declare const ENABLED_BY_DEFAULT: Set<string>;
export declare function doNotBlockNames(notes: readonly string[] | undefined): string[];
export declare function czechFirst<T extends { authority: string }>(basis: readonly T[]): T[];
export declare function main(argv?: string[]): void;
