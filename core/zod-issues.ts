/**
 * Validation issues as people (and models) read them: `path: message`, one per problem, so
 * a config error, a bad tool call and an invalid run input all say what to fix the same way.
 * Structural, so it takes zod's issues (`error.issues`) and already-flattened ones alike.
 *
 * @example
 * const parsed = schema.safeParse(input);
 * if (!parsed.success) throw new Error(`invalid input: ${formatIssues(parsed.error)}`);
 * // invalid input: agent.name: Too small: expected string to have >=1 characters; k: ...
 */

/** One issue: where (zod's path of keys, or one already joined) and what. */
export interface IssueLike {
  path: readonly PropertyKey[] | string;
  message: string;
}

export type Issues = readonly IssueLike[] | { readonly issues: readonly IssueLike[] };

export interface IssueFormat {
  /** What an issue about the whole value is called (empty path); default `(input)`. */
  root?: string;
  /** At most this many issues (the first ones); default all. */
  max?: number;
}

/** `['agent', 'tools', 0]` → `agent.tools.0`; the empty path → `root`. */
export function issuePath(path: IssueLike['path'], root = '(input)'): string {
  const joined = typeof path === 'string' ? path : path.map(String).join('.');
  return joined || root;
}

/** `agent.name: Too small ...` */
export const formatIssue = (issue: IssueLike, root?: string): string =>
  `${issuePath(issue.path, root)}: ${issue.message}`;

/** Each issue as `path: message`, in zod's order. */
export function issueLines(issues: Issues, { root, max }: IssueFormat = {}): string[] {
  return expandUnions('issues' in issues ? issues.issues : issues)
    .slice(0, max)
    .map((i) => formatIssue(i, root));
}

/**
 * zod reports a value that matches no branch of a union as one vague `Invalid input`, with
 * each branch's issues inside. Where the value has the type of some branches (an object
 * for `name | definition`), those branches' issues are the useful ones: they replace the
 * vague one, with full paths.
 */
export function expandUnions<T extends IssueLike>(issues: readonly T[]): IssueLike[] {
  return issues.flatMap((issue): IssueLike[] => {
    const branches =
      (issue as { code?: unknown; errors?: unknown }).code === 'invalid_union'
        ? (issue as { errors?: unknown }).errors
        : undefined;
    if (!Array.isArray(branches) || typeof issue.path === 'string') return [issue];
    const typed = (branches as IssueLike[][]).filter(
      (b) => !b.every((i) => (i as { code?: unknown }).code === 'invalid_type' && i.path.length === 0),
    );
    if (typed.length === 0) return [issue];
    const prefix = issue.path as readonly PropertyKey[];
    return expandUnions(typed.flat()).map((i) => ({
      ...i,
      path: typeof i.path === 'string' ? i.path : [...prefix, ...i.path],
    }));
  });
}

/** The issues on one line, `; ` between them. */
export const formatIssues = (issues: Issues, format?: IssueFormat): string => issueLines(issues, format).join('; ');
