import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chooseConsolePort,
  choosePorts,
  parsePortRequest,
  PortInUseError,
  tryListen,
} from '../../examples/demo/dev-ports.ts';

describe("npm start's dev server ports", () => {
  it('takes --port and --ui-port over BOSUN_DEV_PORT and BOSUN_DEV_UI_PORT', () => {
    const env = { BOSUN_DEV_PORT: '7300', BOSUN_DEV_UI_PORT: '8300' };
    expect(parsePortRequest([], {})).toEqual({});
    expect(parsePortRequest([], env)).toEqual({ port: 7300, uiPort: 8300 });
    expect(parsePortRequest(['--port', '7400'], env)).toEqual({ port: 7400, uiPort: 8300 });
    expect(parsePortRequest(['--ui-port=8400'], env)).toEqual({ port: 7300, uiPort: 8400 });
    expect(parsePortRequest([], { BOSUN_DEV_PORT: '' })).toEqual({});
    expect(parsePortRequest(['--help'], {})).toEqual({ help: true });
  });

  it('takes the console port and --serve from flags or the environment', () => {
    expect(parsePortRequest(['--console-port', '9001'], { BOSUN_CONSOLE_PORT: '9002' })).toEqual({ consolePort: 9001 });
    expect(parsePortRequest([], { BOSUN_CONSOLE_PORT: '9002', BOSUN_SERVE: '1' })).toEqual({
      consolePort: 9002,
      serve: true,
    });
    expect(parsePortRequest(['--serve'], {})).toEqual({ serve: true });
    expect(parsePortRequest([], { BOSUN_SERVE: '0' })).toEqual({});
    expect(parsePortRequest(['--port', '7300', '--console-port', '7300'], {})).toEqual({
      error: "the console port must differ from the dev server's ports (7300)",
    });
  });

  it('refuses a port that is not one, naming where it came from, and unknown flags', () => {
    expect(parsePortRequest(['--port', '99999'], {})).toEqual({
      error: '--port must be a port number from 1 to 65535 (got "99999")',
    });
    expect(parsePortRequest([], { BOSUN_DEV_UI_PORT: 'ui' })).toEqual({
      error: 'BOSUN_DEV_UI_PORT must be a port number from 1 to 65535 (got "ui")',
    });
    expect(parsePortRequest(['--port', '7300', '--ui-port', '7300'], {})).toEqual({
      error: 'the gRPC port and the UI port must differ (both 7300)',
    });
    expect(parsePortRequest(['--prot', '1'], {})).toMatchObject({ error: expect.stringContaining("'--prot'") });
  });

  describe('choosing', () => {
    const held: Server[] = [];
    const hold = async () => {
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      held.push(server);
      return (server.address() as { port: number }).port;
    };
    afterEach(async () => {
      await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
    });

    it('keeps ports that were asked for and are free', async () => {
      const [port, uiPort] = [(await tryListen(0))!, (await tryListen(0))!];
      expect(await choosePorts({ port, uiPort })).toEqual({ port, uiPort, notes: [] });
    });

    it('gives the console a free port, saying so, when 8787 is taken', async () => {
      const asked = (await tryListen(0))!;
      expect(await chooseConsolePort({ consolePort: asked })).toEqual({ port: asked, notes: [] });
      const taken = await hold();
      await expect(chooseConsolePort({ consolePort: taken })).rejects.toThrow(
        `port ${taken} for the web console is in use; choose another with --console-port or BOSUN_CONSOLE_PORT`,
      );
    });

    it('refuses a port asked for that is taken, instead of quietly using another', async () => {
      const taken = await hold();
      const err = await choosePorts({ port: taken, uiPort: (await tryListen(0))! }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toBe(
        `port ${taken} for the Temporal gRPC endpoint is in use; choose another with --port or BOSUN_DEV_PORT, or leave it unset for a free one`,
      );
    });
  });
});
