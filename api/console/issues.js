/**
 * Validation issues as the API returns them (`{ path, message }`, the path an array of keys
 * or a dotted string), sorted to the argument they are about: the edit form shows each
 * next to its field, and the ones about no field (or the whole input) above the form.
 *
 * @example issuesByField([{ path: ['amountCents'], message: 'Too small' }], ['amountCents'])
 * // { fields: { amountCents: ['Too small'] }, general: [] }
 */
export function issuesByField(issues, fieldNames) {
  const fields = {};
  const general = [];
  for (const issue of issues ?? []) {
    let path = pathOf(issue.path);
    // The API names the edited arguments by where they are in the request: `body.input.…`.
    for (const prefix of ['body', 'input'])
      if (path[0] === prefix && !fieldNames.includes(prefix) && path.length > 1) path = path.slice(1);
    const [first, ...rest] = path;
    const message = issue.message ?? String(issue);
    if (first !== undefined && fieldNames.includes(String(first))) {
      const where = rest.length ? `${rest.join('.')}: ` : '';
      (fields[String(first)] ??= []).push(`${where}${message}`);
    } else general.push(path.length ? `${path.join('.')}: ${message}` : message);
  }
  return { fields, general };
}

function pathOf(path) {
  if (Array.isArray(path)) return path.map(String);
  if (typeof path === 'string' && path !== '') return path.replace(/^\//, '').split(/[./]/);
  return [];
}
