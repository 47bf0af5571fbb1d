// The wire protocol: generated types and validators (from protocol/schema.json)
// plus the hand-written helpers around them. Import the protocol from here.

export * from "./generated";
export { decodeLine, parseWireLine, type LineResult } from "./wireLines";
import { PROTOCOL_VERSION } from "./generated";

export type VersionCheck = { ok: true } | { ok: false; error: string };

/** Parses "MAJOR.MINOR" into numbers; null when malformed. */
export function parseVersion(version: unknown): { major: number; minor: number } | null {
  if (typeof version !== "string") return null;
  const m = /^(\d{1,6})\.(\d{1,6})$/.exec(version);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function shown(version: unknown): string {
  const s = typeof version === "string" ? version : (JSON.stringify(version) ?? String(version));
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s);
}

/**
 * Checks the protocol version of a peer's session/hello (or session/welcome).
 * A different MAJOR version is refused with a message that says which side to
 * update; a different MINOR version is accepted (minor versions only add
 * optional fields and new kinds, which receivers ignore).
 *
 * @param hello       the peer's hello; only its `protocol` field is read
 * @param ourVersion  our protocol version, normally PROTOCOL_VERSION
 * @param peer        what the peer is, for the message ("runtime" by default)
 */
export function checkHello(
  hello: { readonly protocol?: unknown } | null | undefined,
  ourVersion: string = PROTOCOL_VERSION,
  peer = "runtime",
): VersionCheck {
  const ours = parseVersion(ourVersion);
  if (!ours) throw new Error(`checkHello: our own protocol version ${shown(ourVersion)} is not MAJOR.MINOR`);
  const theirsRaw = hello?.protocol;
  const theirs = parseVersion(theirsRaw);
  if (!theirs) {
    return {
      ok: false,
      error:
        `Loopscope protocol mismatch: the ${peer} sent no valid protocol version (got ${shown(theirsRaw)}), ` +
        `this extension speaks ${ours.major}.x — is the other side really Loopscope?`,
    };
  }
  if (theirs.major === ours.major) return { ok: true };
  const advice =
    theirs.major > ours.major
      ? "update the Loopscope extension"
      : `update the loopscope runtime the ${peer} uses (the one bundled with this extension speaks ${ourVersion})`;
  return {
    ok: false,
    error:
      `Loopscope protocol mismatch: ${peer} speaks ${theirs.major}.${theirs.minor}, ` +
      `this extension speaks ${ours.major}.x — ${advice} so both speak the same major version.`,
  };
}
