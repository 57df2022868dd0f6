import { createSseParser } from './sse-parser.js';

/**
 * Reads a run's server-sent events with `fetch` (so the request carries the bearer token)
 * and resumes after a dropped connection from the offset after the last event seen, as
 * EventSource would with Last-Event-ID. Each message's data is a run event (JSON); the
 * stream is over after `run_ended`, or when the server closes it and says nothing more.
 */
export async function readSse({ url, headers, from = 0, signal, onEvent }) {
  let next = from;
  let ended = false;
  let failures = 0;
  while (!ended && !signal?.aborted) {
    let gotAny = false;
    try {
      const res = await fetch(url(next), { headers: { ...headers, accept: 'text/event-stream' }, signal });
      if (!res.ok || !res.body) {
        const body = await res.text().catch(() => '');
        let said = body.slice(0, 200);
        try {
          said = JSON.parse(body).message ?? said;
        } catch {
          // not JSON: the text
        }
        const error = new Error(`${res.status}: ${said}`);
        error.status = res.status;
        throw error;
      }
      let failed;
      const push = createSseParser((m) => {
        let event;
        try {
          event = JSON.parse(m.data);
        } catch {
          return;
        }
        // The server could not read the run's events (`{ error, message }`): say so.
        if (m.event === 'error') {
          failed = Object.assign(new Error(event.message ?? event.error ?? 'the event stream failed'), { status: 502 });
          return;
        }
        gotAny = true;
        const offset = Number(m.id ?? event.offset);
        if (Number.isFinite(offset)) next = offset + 1;
        if (m.event === 'run_ended' || event.type === 'run_ended') ended = true;
        onEvent(event);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        push(value);
      }
      if (failed) throw failed;
      // Closed by the server without `run_ended` and nothing new: the run is over (it closed
      // without an end event, e.g. terminated).
      if (!ended && !gotAny) return;
      failures = 0;
    } catch (err) {
      if (signal?.aborted) return;
      if (err.status && err.status < 500) throw err;
      if (++failures > 5) throw err;
      await new Promise((r) => setTimeout(r, 500 * failures));
    }
  }
}
