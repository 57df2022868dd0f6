/** Types of issues.js (the console is plain JS; these let the unit tests typecheck). */
export interface Issue {
  path?: (string | number)[] | string;
  message: string;
}
export declare function issuesByField(
  issues: Issue[] | undefined,
  fieldNames: string[],
): { fields: Record<string, string[]>; general: string[] };
