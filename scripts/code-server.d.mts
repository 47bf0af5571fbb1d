// Types of scripts/code-server.mjs for the TypeScript e2e tests.
import type { ChildProcess } from "node:child_process";

export const REPO: string;
export const CODE_SERVER_VERSION: string;
export const EXTENSION_ID: string;
export const QUIET_SETTINGS: Readonly<Record<string, unknown>>;

export interface Profile {
  readonly root: string;
  readonly userData: string;
  readonly extensions: string;
  readonly xdgConfig: string;
  readonly xdgData: string;
}

export interface RunningCodeServer {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export function ensureCodeServer(): string;
export function packageVsix(out: string): string;
export function freshProfile(root: string, settings?: Record<string, unknown>): Profile;
export function installVsix(bin: string, profile: Profile, vsix: string): string;
export function freePort(): Promise<number>;
export function startCodeServer(opts: {
  bin: string;
  profile: Profile;
  port: number;
  folder?: string;
  log?: "ignore" | "inherit";
  timeoutMs?: number;
}): Promise<RunningCodeServer>;
export function folderUrl(base: string, folder: string): string;
