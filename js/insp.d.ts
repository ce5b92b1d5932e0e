// Type declarations for insp.mjs, the ESM entry of the insp session recorder.
//
//   import { init, insp } from 'https://collector.example.com/insp.mjs';
//   init({ wid: 1, collector: 'https://collector.example.com' });
//   insp.identify('user_83921');
//   insp.tagSession({ plan: 'pro', cart: { items: 2, total: 149.99 } });
//
// Every function is safe to call before the DOM is ready, before or after the agent has
// loaded (commands queue in `window.__insp` and are applied in order), and on the server,
// where it does nothing. None of them throws.

/** A site id, as shown by `insp site add`. */
export type SiteId = number | string;

/**
 * A value accepted in a tag object. Objects are flattened into dot-separated keys
 * (`{user: {plan: 'pro'}}` becomes the tag `user.plan` = `"pro"`); numbers, booleans and
 * bigints are stored as JavaScript prints them (`149.99` -> `"149.99"`, `true` -> `"true"`).
 */
export type TagValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | TagObject
  | readonly TagValue[];

/** Key/value tags: each key becomes one session tag (nested objects become dotted keys). */
export interface TagObject {
  [key: string]: TagValue;
}

/** The commands understood by the agent, in the Inspectlet queue format. */
export type Command =
  | readonly ['wid', SiteId]
  | readonly ['identify', string | number]
  | readonly ['tagSession', string | TagObject]
  | readonly ['virtualPage']
  | readonly ['virtualPage', string]
  | readonly ['disableGACapture']
  | readonly ['debug']
  | readonly ['debug', boolean]
  | readonly ['consent', boolean]
  | readonly ['collector', string]
  | readonly [string, ...unknown[]];

/**
 * `window.__insp`: a plain array of commands until the agent loads, then an object whose
 * `push` applies commands immediately.
 */
export interface InspQueue {
  push(...commands: Command[]): unknown;
}

/** Options of {@link init}. */
export interface InitOptions {
  /** The site id (`wid`) the recording belongs to. */
  wid: SiteId;
  /**
   * Origin of the insp collector, for example `"https://insp.example.com"` (a trailing slash
   * is ignored). When omitted, the origin this module was loaded from is used, which is right
   * when importing `insp.mjs` straight from the collector; bundlers need it explicitly.
   */
  collector?: string;
}

/**
 * Starts recording this page, exactly as the Inspectlet snippet does: makes sure
 * `window.__insp` exists, pushes `['wid', wid]`, and adds one
 * `<script async id="inspsync" src="{collector}/inspectlet.js?wid=…&r=…">` to the document.
 *
 * Calling it again (or on a page that also carries the snippet) does not load the agent twice.
 * Under Trusted Types the script URL goes through a policy named `"insp"`; if the page's CSP
 * does not allow that name and has no default policy, recording stays off and one
 * console warning says why.
 */
export declare function init(options: InitOptions): void;

/** Typed shortcuts for `window.__insp.push([...])`. */
export interface Insp {
  /** Pushes a raw command, for example `insp.push(['tagSession', 'viewed checkout'])`. */
  push(command: Command): void;
  /**
   * Labels the session (and later sessions of this visitor) with a user id or email.
   * Calling it again with another id associates the session with the new identity.
   */
  identify(id: string | number): void;
  /**
   * Attaches tags to the current session. A string is a tag without value
   * (`"viewed checkout"`); an object sets one tag per key, replacing earlier values of the
   * same key (`{converted: false}` then `{converted: true}` leaves `converted` = `"true"`).
   * Repeating a tag is harmless.
   */
  tagSession(tags: string | TagObject): void;
  /**
   * Records a page view without a page load, for single-page apps: call it after each
   * client-side navigation, once the new URL is in place. `name` (a non-empty string)
   * names the view instead of the URL.
   */
  virtualPage(name?: string): void;
  /** Stops insp from reporting its sessions to Google Analytics on this page. */
  disableGACapture(): void;
  /**
   * Turns the agent's console diagnostics on (`debug()` or `debug(true)`) or off
   * (`debug(false)`): each refused or corrected command is explained there.
   */
  debug(on?: boolean): void;
  /**
   * Tells the agent whether the visitor has consented to recording. `granted` must be an
   * explicit boolean: consent is never assumed, so a missing value is ignored (with a
   * warning in debug mode). `consent(false)` before the agent loads holds everything: nothing
   * is recorded, stored (no cookie) or sent until `consent(true)`; tags and identity given
   * meanwhile are kept in memory and sent then. `consent(false)` later stops recording and
   * drops what was not sent yet.
   */
  consent(granted: boolean): void;
}

/** The command API; usable before and after {@link init}. */
export declare const insp: Readonly<Insp>;
