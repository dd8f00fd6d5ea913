/**
 * What every mingo Query, Aggregator and update in the store is given: no server-side JavaScript
 * (`$where`, `$function`, `$accumulator`), like mongod with `security.javascriptEnabled: false`.
 * mingo runs such code with this process's privileges, so it stays off even though the wire only
 * carries code as strings today.
 */
export const MINGO_OPTIONS = { scriptEnabled: false } as const;
