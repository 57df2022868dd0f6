/**
 * Server-sent events, parsed incrementally (the text/event-stream format of the HTML
 * standard): `id:`, `event:` and `data:` fields, a blank line ends a message, lines starting
 * with `:` are comments (keep-alives). Pure, so it is unit-tested without a browser.
 *
 * @example
 * const push = createSseParser((m) => console.log(m.id, m.event, m.data));
 * push('id: 3\nevent: step_started\ndata: {"step":1}\n\n');
 */
export function createSseParser(onMessage) {
  let buffer = '';
  let message = { data: [] };
  const dispatch = () => {
    if (message.data.length > 0 || message.event !== undefined)
      onMessage({ id: message.id, event: message.event ?? 'message', data: message.data.join('\n') });
    message = { data: [] };
  };
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') dispatch();
      else if (line.startsWith(':')) continue;
      else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') message.data.push(value);
        else if (field === 'event') message.event = value;
        else if (field === 'id') message.id = value;
      }
    }
  };
}
