// The adapter's end of the runtime connection: JSON lines over TCP on
// 127.0.0.1, a token handshake, control requests with timeouts.
//
// Launch: the adapter listens (listenForRuntime) on a free port with a random
// token and starts the program with both; the first connection that says
// session/hello with that token and a compatible protocol is the runtime, every
// other one is refused. Attach: the adapter connects (connectToRuntime) to a
// program that called loopscope.listen() and presents the token there.

import { randomBytes, timingSafeEqual } from "node:crypto";
import * as net from "node:net";
import {
  checkHello,
  decodeLine,
  parseWireLine,
  PROTOCOL_VERSION,
  validateMessage,
  type ControlResponseMessage,
  type SessionHelloMessage,
  type SessionWelcomeMessage,
  type WireMessage,
} from "../../../protocol/index";

/** Longest line accepted (the runtime uses the same bound). */
export const MAX_LINE = 4 * 1024 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export class ControlError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
  }
}

interface Pending {
  readonly command: string;
  readonly resolve: (body: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Splits a byte stream into lines, handed on as byte ranges (no string is
 * made here: protocol/wireLines.ts reads the bytes). A line inside one chunk
 * is a range of that chunk; one spread over chunks is copied together once.
 * Either way the byte after the range is the line's newline. The range is
 * only valid during the call.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  /** Dropping the rest of a line longer than MAX_LINE, up to its newline. */
  private skipping = false;
  /** Lines dropped for being longer than MAX_LINE. */
  overlong = 0;

  constructor(private readonly onLine: (bytes: Buffer, start: number, end: number) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const from = start;
      start = nl + 1;
      if (this.skipping || this.size + nl - from > MAX_LINE) {
        this.overlong++;
        this.skipping = false;
        this.parts = [];
        this.size = 0;
        continue;
      }
      if (this.size === 0) {
        this.onLine(chunk, from, nl);
      } else {
        this.parts.push(chunk.subarray(from, nl + 1)); // with its newline: see parseWireLine
        const line = Buffer.concat(this.parts, this.size + nl + 1 - from);
        this.parts = [];
        this.size = 0;
        this.onLine(line, 0, line.length - 1);
      }
    }
    if (start < chunk.length && !this.skipping) {
      const rest = chunk.subarray(start);
      if (this.size + rest.length > MAX_LINE) {
        // A line without end in sight: drop what we have, and the rest of it up to its newline.
        this.parts = [];
        this.size = 0;
        this.skipping = true;
        return;
      }
      this.parts.push(rest);
      this.size += rest.length;
    }
  }
}

/**
 * One connection to the runtime. Messages other than control/response go to
 * onMessage; lines that are not valid protocol messages go to onMalformed and
 * are otherwise ignored (the session goes on).
 */
export class RuntimeChannel {
  onMessage: (msg: WireMessage) => void = () => undefined;
  onMalformed: (reason: string) => void = () => undefined;
  onClose: (reason: string | null) => void = () => undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly splitter: LineSplitter;
  private closedReason: string | null | undefined = undefined;

  private started = false;

  /** `rest`: bytes that came after the handshake line. Nothing is read before start(). */
  constructor(
    readonly socket: net.Socket,
    private rest: Buffer = Buffer.alloc(0),
  ) {
    this.splitter = new LineSplitter((bytes, start, end) => this.onLine(bytes, start, end));
    socket.setNoDelay(true);
    socket.pause();
  }

  /** Starts reading, once the handlers are set. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const socket = this.socket;
    socket.on("data", (chunk: Buffer) => this.splitter.push(chunk));
    socket.on("error", (err) => this.finish(err.message));
    socket.on("close", () => this.finish(null));
    if (this.rest.length) this.splitter.push(this.rest);
    this.rest = Buffer.alloc(0);
    if (socket.destroyed) this.finish(null);
    else socket.resume();
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  private onLine(bytes: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0d)) i++;
    if (i === end) return; // a blank line
    const r = parseWireLine(bytes, start, end);
    if (!r.ok) {
      this.onMalformed(`${r.error}: ${clip(decodeLine(bytes, start, Math.min(end, start + 1024)))}`);
      return;
    }
    const msg = r.msg;
    if (msg.kind === "control/response") {
      this.onResponse(msg);
      return;
    }
    this.onMessage(msg);
  }

  private onResponse(msg: ControlResponseMessage): void {
    const p = this.pending.get(msg.id);
    if (p === undefined) {
      if (msg.id === 0 && msg.error) this.onMalformed(`the runtime rejected a message: ${msg.error}`);
      return;
    }
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.body ?? {});
    else p.reject(new ControlError(msg.error ?? `${p.command} failed`, p.command));
  }

  send(msg: WireMessage): boolean {
    if (this.closed || this.socket.destroyed) return false;
    this.socket.write(JSON.stringify(msg) + "\n");
    return true;
  }

  /** A control request; rejects with ControlError on an error answer, a timeout or the connection's end. */
  request<T>(command: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
    if (this.closed)
      return Promise.reject(new ControlError(`the program is no longer connected (${command})`, command));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlError(`the program did not answer '${command}' within ${timeoutMs / 1000} s`, command));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (body: unknown) => void, reject, timer });
      this.send({ kind: "control/request", id, command, args });
    });
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end();
    setTimeout(() => this.socket.destroy(), 500).unref();
    this.finish(null);
  }

  private finish(reason: string | null): void {
    if (this.closed) return;
    this.closedReason = reason;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ControlError(`the program closed the connection (${p.command})`, p.command));
    }
    this.pending.clear();
    this.onClose(reason);
  }
}

function clip(s: string, n = 120): string {
  return s.length > n ? s.slice(0, n) + "…" : s;
}

/** A fresh random session token (URL-safe, 256 bits). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface RuntimeHello {
  readonly channel: RuntimeChannel;
  readonly hello: SessionHelloMessage | SessionWelcomeMessage;
}

/** Reads the first line of a fresh socket (the handshake), with a deadline. */
function firstMessage(
  socket: net.Socket,
  timeoutMs: number,
): Promise<{ msg: WireMessage | null; error: string | null; rest: Buffer }> {
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (msg: WireMessage | null, error: string | null, rest: Buffer): void => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onClose);
      socket.pause();
      resolve({ msg, error, rest });
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > 64 * 1024) done(null, "handshake line too long", Buffer.alloc(0));
        return;
      }
      const line = buf.toString("utf8", 0, nl);
      const rest = buf.subarray(nl + 1);
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        done(null, `not a JSON message: ${clip(line)}`, rest);
        return;
      }
      const v = validateMessage(raw);
      if (!v.ok) done(null, v.error, rest);
      else done(v.msg, null, rest);
    };
    const onClose = (): void => done(null, "connection closed during the handshake", Buffer.alloc(0));
    const timer = setTimeout(() => done(null, "no hello within the handshake timeout", Buffer.alloc(0)), timeoutMs);
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", onClose);
  });
}

function adopt(socket: net.Socket, rest: Buffer): RuntimeChannel {
  return new RuntimeChannel(socket, rest);
}

export interface RuntimeListener {
  readonly port: number;
  readonly token: string;
  /** Resolves with the runtime's connection (the first with the right token and protocol). */
  readonly connected: Promise<RuntimeHello>;
  /** Reasons of connections refused so far. */
  readonly refused: string[];
  close(): void;
}

/** Listens on 127.0.0.1 on a free port for the runtime of a launched program. */
export async function listenForRuntime(token = newToken()): Promise<RuntimeListener> {
  const server = net.createServer();
  const refused: string[] = [];
  let accept: (h: RuntimeHello) => void = () => undefined;
  const connected = new Promise<RuntimeHello>((resolve) => (accept = resolve));
  let taken = false;
  server.on("connection", (socket) => {
    if (taken) {
      socket.end(JSON.stringify({ kind: "session/refused", reason: "a runtime is already connected" }) + "\n");
      refused.push("a runtime is already connected");
      return;
    }
    void firstMessage(socket, HANDSHAKE_TIMEOUT_MS).then(({ msg, error, rest }) => {
      let reason = error;
      if (reason === null && msg !== null) {
        if (msg.kind !== "session/hello") reason = `expected session/hello first, got ${msg.kind}`;
        else if (!sameToken(msg.token, token)) reason = "wrong session token";
        else {
          const check = checkHello(msg, PROTOCOL_VERSION, "runtime");
          if (!check.ok) reason = check.error;
        }
      }
      if (reason !== null || msg === null || msg.kind !== "session/hello" || taken) {
        const why = reason ?? "a runtime is already connected";
        refused.push(why);
        if (!socket.destroyed) socket.end(JSON.stringify({ kind: "session/refused", reason: why }) + "\n");
        return;
      }
      taken = true;
      server.close();
      const channel = adopt(socket, rest);
      channel.send({ kind: "session/welcome", protocol: PROTOCOL_VERSION, role: "adapter" });
      accept({ channel, hello: msg });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("listener has no TCP address");
  return {
    port: address.port,
    token,
    connected,
    refused,
    close: () => server.close(),
  };
}

/** Attach: connects to a program's loopscope.listen() and presents the token. Rejects with a message for the user. */
export function connectToRuntime(
  host: string,
  port: number,
  token: string,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
): Promise<RuntimeHello> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`No answer from ${host}:${port} within ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    socket.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === "ECONNREFUSED") {
        reject(
          new Error(
            `Nothing is listening on ${host}:${port}. Is the program running, and did it call loopscope.listen(${port}, token=...)?`,
          ),
        );
      } else reject(new Error(`Cannot connect to ${host}:${port}: ${err.message}`));
    });
    socket.once("connect", () => {
      const hello: SessionHelloMessage = { kind: "session/hello", protocol: PROTOCOL_VERSION, token, role: "adapter" };
      socket.write(JSON.stringify(hello) + "\n");
      void firstMessage(socket, timeoutMs).then(({ msg, error, rest }) => {
        clearTimeout(timer);
        if (msg === null) {
          socket.destroy();
          reject(new Error(`The program at ${host}:${port} did not complete the handshake: ${error ?? "no answer"}`));
          return;
        }
        if (msg.kind === "session/refused") {
          socket.destroy();
          reject(new Error(`The program at ${host}:${port} refused the connection: ${msg.reason}`));
          return;
        }
        if (msg.kind !== "session/welcome") {
          socket.destroy();
          reject(new Error(`The program at ${host}:${port} answered ${msg.kind} instead of session/welcome`));
          return;
        }
        const check = checkHello(msg, PROTOCOL_VERSION, "runtime");
        if (!check.ok) {
          socket.destroy();
          reject(new Error(check.error));
          return;
        }
        resolve({ channel: adopt(socket, rest), hello: msg });
      });
    });
  });
}
