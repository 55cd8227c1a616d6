// Copyright the @pyst/asterisk authors. MIT license.
import type { AmiAction, AmiFieldValue } from "./encode_ami_action.ts";
import { formatEventMask } from "./_event_mask.ts";

/** A `Variable` map: one `Variable: name=value` header per entry. */
export type AmiVariables = Readonly<Record<string, AmiFieldValue>>;

/**
 * An event mask for `Login`'s `Events` or the `Events` action: `true`
 * (`on`), `false` (`off`), a category list such as `["call", "system"]`,
 * or the raw header text (`"call,agent"`, a numeric mask…).
 */
export type AmiEventMask = boolean | string | readonly string[];

/** Headers of `Originate` (names as Asterisk spells them). */
export interface AmiOriginateParams {
  /** Channel to call, e.g. `PJSIP/100`. */
  readonly Channel: string;
  /** Extension to connect to once answered (with `Context`, `Priority`). */
  readonly Exten?: string;
  /** Context of `Exten`. */
  readonly Context?: string;
  /** Priority of `Exten`. */
  readonly Priority?: string | number;
  /** Application to run once answered, instead of an extension. */
  readonly Application?: string;
  /** Arguments of `Application`. */
  readonly Data?: string;
  /** Milliseconds to wait for an answer (Asterisk's default: 30000). */
  readonly Timeout?: number;
  /** Caller ID, e.g. `"Alice" <100>`. */
  readonly CallerID?: string;
  /** Channel variables, one `Variable` header each. */
  readonly Variable?: AmiVariables;
  /** Account code. */
  readonly Account?: string;
  /** Connect the caller to the extension before the answer. */
  readonly EarlyMedia?: boolean;
  /** Return at once and report the outcome as an `OriginateResponse` event. */
  readonly Async?: boolean;
  /** Comma-separated codecs, e.g. `ulaw,alaw`. */
  readonly Codecs?: string;
  /** Unique id of the new channel. */
  readonly ChannelId?: string;
  /** Unique id of the second (Local) channel. */
  readonly OtherChannelId?: string;
  /** Pre-dial subroutine on the new channel. */
  readonly PreDialGoSub?: string;
}

/** Headers of `Hangup`. */
export interface AmiHangupParams {
  /** Channel name, or `/regex/` for every matching channel (an event list). */
  readonly Channel: string;
  /** Hangup cause code. */
  readonly Cause?: number;
}

/** Headers of `Redirect`. */
export interface AmiRedirectParams {
  /** Channel to redirect. */
  readonly Channel: string;
  /** Target extension. */
  readonly Exten: string;
  /** Target context. */
  readonly Context: string;
  /** Target priority. */
  readonly Priority: string | number;
  /** Second channel to redirect (e.g. the bridged peer). */
  readonly ExtraChannel?: string;
  /** Extension for `ExtraChannel`. */
  readonly ExtraExten?: string;
  /** Context for `ExtraChannel`. */
  readonly ExtraContext?: string;
  /** Priority for `ExtraChannel`. */
  readonly ExtraPriority?: string | number;
}

/** Headers of `Getvar`. */
export interface AmiGetvarParams {
  /** Variable or function, e.g. `CALLERID(num)`. */
  readonly Variable: string;
  /** Channel; omit for a global variable. */
  readonly Channel?: string;
}

/** Headers of `Setvar`. */
export interface AmiSetvarParams {
  /** Variable or function. */
  readonly Variable: string;
  /** New value. */
  readonly Value: AmiFieldValue;
  /** Channel; omit for a global variable. */
  readonly Channel?: string;
}

/** Headers of `Status` (an event list). */
export interface AmiStatusParams {
  /** One channel; omit for all. */
  readonly Channel?: string;
  /** Variables to include, as a list or comma-separated. */
  readonly Variables?: string | readonly string[];
  /** Include every channel variable. */
  readonly AllVariables?: boolean;
}

/** Headers of `QueueStatus` (an event list). */
export interface AmiQueueStatusParams {
  /** Limit to one queue. */
  readonly Queue?: string;
  /** Limit to one member. */
  readonly Member?: string;
}

/** Headers of `QueueAdd`. */
export interface AmiQueueAddParams {
  /** Queue name. */
  readonly Queue: string;
  /** Member interface, e.g. `PJSIP/100`. */
  readonly Interface: string;
  /** Penalty. */
  readonly Penalty?: number;
  /** Add as paused. */
  readonly Paused?: boolean;
  /** Pause reason. */
  readonly Reason?: string;
  /** Member name. */
  readonly MemberName?: string;
  /** Device whose state is watched. */
  readonly StateInterface?: string;
}

/** Headers of `QueueRemove`. */
export interface AmiQueueRemoveParams {
  /** Queue name. */
  readonly Queue: string;
  /** Member interface. */
  readonly Interface: string;
}

/** Headers of `QueuePause`. */
export interface AmiQueuePauseParams {
  /** Member interface. */
  readonly Interface: string;
  /** Pause (`true`) or unpause (`false`). */
  readonly Paused: boolean;
  /** Limit to one queue; omit for every queue. */
  readonly Queue?: string;
  /** Reason, logged in the queue log. */
  readonly Reason?: string;
}

/** Headers of `DBGet` (an event list) and `DBDel`. */
export interface AmiDbKeyParams {
  /** Family. */
  readonly Family: string;
  /** Key. */
  readonly Key: string;
}

/** Headers of `DBPut`. */
export interface AmiDbPutParams extends AmiDbKeyParams {
  /** Value. */
  readonly Val?: AmiFieldValue;
}

/** Headers of `PlayDTMF`. */
export interface AmiPlayDtmfParams {
  /** Channel. */
  readonly Channel: string;
  /** One DTMF digit. */
  readonly Digit: string;
  /** Length in milliseconds. */
  readonly Duration?: number;
  /** Play it to the channel's peer as if received. */
  readonly Receive?: boolean;
}

/** Headers of `Atxfer`. */
export interface AmiAtxferParams {
  /** Transferer's channel. */
  readonly Channel: string;
  /** Extension to transfer to. */
  readonly Exten: string;
  /** Context of `Exten`. */
  readonly Context?: string;
}

/** Headers of `Bridge`. */
export interface AmiBridgeParams {
  /** First channel. */
  readonly Channel1: string;
  /** Second channel. */
  readonly Channel2: string;
  /** Play a courtesy tone to `Channel1`, `Channel2`, `Both` or `no`. */
  readonly Tone?: "no" | "Channel1" | "Channel2" | "Both";
}

/** Headers of `MixMonitor`. */
export interface AmiMixMonitorParams {
  /** Channel to record. */
  readonly Channel: string;
  /** Output file. */
  readonly File?: string;
  /** MixMonitor options, e.g. `b`. */
  readonly Options?: string;
  /** Command to run when recording ends. */
  readonly Command?: string;
}

/** Headers of `StopMixMonitor`. */
export interface AmiStopMixMonitorParams {
  /** Channel being recorded. */
  readonly Channel: string;
  /** Which recording, when there are several. */
  readonly MixMonitorID?: string;
}

/** Headers of `Filter`. */
export interface AmiFilterParams {
  /** Legacy regex filter; a leading `!` excludes. */
  readonly Filter?: string;
  /** Advanced criteria (Asterisk 18.26, 20.11, 21.6, 22.1 and later). */
  readonly MatchCriteria?: string;
  /** Only `Add` exists. @default {"Add"} */
  readonly Operation?: "Add";
}

/** Headers of `UserEvent`: its name plus any headers to broadcast. */
export interface AmiUserEventParams {
  /** The event name, delivered as `UserEvent: <name>`. */
  readonly UserEvent: string;
  /** Any header to copy into the event. */
  readonly [header: string]:
    | AmiFieldValue
    | readonly AmiFieldValue[]
    | undefined;
}

/** Headers of `GetConfig` and `GetConfigJSON`. */
export interface AmiGetConfigParams {
  /** File name, relative to the config directory. */
  readonly Filename: string;
  /** Only this category. */
  readonly Category?: string;
  /** Comma-separated `name_regex=value_regex` category filters. */
  readonly Filter?: string;
}

/** One change of `UpdateConfig`, numbered in order as `Action-000000`… */
export interface AmiConfigChange {
  /** What to do. */
  readonly Action:
    | "NewCat"
    | "RenameCat"
    | "DelCat"
    | "EmptyCat"
    | "Update"
    | "Delete"
    | "Append"
    | "Insert";
  /** Category to work on. */
  readonly Cat: string;
  /** Variable to work on. */
  readonly Var?: string;
  /** Value to work on. */
  readonly Value?: AmiFieldValue;
  /** Extra match required to match the line. */
  readonly Match?: string;
  /** Line in the category (for `Delete` and `Insert`). */
  readonly Line?: number;
  /** Options for `NewCat`, e.g. `allowdups,template,inherit=a`. */
  readonly Options?: string;
}

/** Headers of `UpdateConfig`. */
export interface AmiUpdateConfigParams {
  /** File to read. */
  readonly SrcFilename: string;
  /** File to write. */
  readonly DstFilename: string;
  /** Reload after writing (`true`) or reload this module. */
  readonly Reload?: boolean | string;
  /** Keep the effective context when writing templates. */
  readonly PreserveEffectiveContext?: boolean;
  /** The changes, in order (at most 100000; Asterisk's 128-line limit applies). */
  readonly changes: readonly AmiConfigChange[];
}

/** Headers of `ModuleLoad`. */
export interface AmiModuleLoadParams {
  /** `load`, `unload` or `reload`. */
  readonly LoadType: "load" | "unload" | "reload";
  /** Module, e.g. `res_pjsip.so`; may be omitted for a full `reload`. */
  readonly Module?: string;
  /** Also load the module's dependencies. */
  readonly Recursive?: boolean;
}

/** Headers of the `AGI` action (queue a command on an AsyncAGI channel). */
export interface AmiAgiParams {
  /** Channel running `AGI(agi:async)`. */
  readonly Channel: string;
  /** A full AGI command line, e.g. `STREAM FILE beep ""`. */
  readonly Command: string;
  /** Id copied into the `AsyncAGIExec` event. */
  readonly CommandID?: string;
}

/**
 * Builders of common AMI actions, one per action. Each returns plain data
 * that any client can send; headers use Asterisk's own names, so its
 * documentation applies as written. List actions (their replies are event
 * lists) are marked; send them with `AmiClient.sendList`.
 */
export interface AmiActionBuilders {
  /**
   * `Originate`: place a call. `Variable` becomes one header per variable.
   * Use `AmiClient.originate()` to also wait for the outcome.
   *
   * @throws {TypeError} Without `Channel`, or with both or neither of
   * `Application` and `Exten`.
   */
  originate(params: AmiOriginateParams): AmiAction;
  /** `Hangup` (an event list when `Channel` is a `/regex/`). */
  hangup(params: AmiHangupParams): AmiAction;
  /** `Redirect`: send a channel (and optionally a second one) elsewhere. */
  redirect(params: AmiRedirectParams): AmiAction;
  /** `Getvar`: read a channel or global variable (in the reply's `Value`). */
  getvar(params: AmiGetvarParams): AmiAction;
  /** `Setvar`: set a channel or global variable. */
  setvar(params: AmiSetvarParams): AmiAction;
  /** `Status` (an event list of `Status` events). */
  status(params?: AmiStatusParams): AmiAction;
  /** `CoreShowChannels` (an event list of `CoreShowChannel` events). */
  coreShowChannels(): AmiAction;
  /** `QueueStatus` (an event list). */
  queueStatus(params?: AmiQueueStatusParams): AmiAction;
  /** `QueueAdd`: add a member to a queue. */
  queueAdd(params: AmiQueueAddParams): AmiAction;
  /** `QueueRemove`: remove a member from a queue. */
  queueRemove(params: AmiQueueRemoveParams): AmiAction;
  /** `QueuePause`: pause or unpause a member. */
  queuePause(params: AmiQueuePauseParams): AmiAction;
  /** `PJSIPShowEndpoints` (an event list of `EndpointList` events). */
  pjsipShowEndpoints(): AmiAction;
  /** `DBGet` (an event list with one `DBGetResponse`). */
  dbGet(params: AmiDbKeyParams): AmiAction;
  /** `DBPut`: write an AstDB key. */
  dbPut(params: AmiDbPutParams): AmiAction;
  /** `DBDel`: delete an AstDB key. */
  dbDel(params: AmiDbKeyParams): AmiAction;
  /** `PlayDTMF`: play one DTMF digit on a channel. */
  playDtmf(params: AmiPlayDtmfParams): AmiAction;
  /** `Atxfer`: attended transfer. */
  atxfer(params: AmiAtxferParams): AmiAction;
  /** `Bridge`: bridge two channels. */
  bridge(params: AmiBridgeParams): AmiAction;
  /** `MixMonitor`: start recording a channel. */
  mixMonitor(params: AmiMixMonitorParams): AmiAction;
  /** `StopMixMonitor`: stop recording a channel. */
  stopMixMonitor(params: AmiStopMixMonitorParams): AmiAction;
  /** `Reload`: reload one module, or everything. */
  reload(params?: { readonly Module?: string }): AmiAction;
  /**
   * `Filter`: add a session event filter. Prefer `AmiClient.addFilter`,
   * which also re-applies it after a reconnect.
   *
   * @throws {TypeError} Without `Filter` and `MatchCriteria`.
   */
  filter(params: AmiFilterParams): AmiAction;
  /**
   * `Events`: change the session's event mask. Prefer
   * `AmiClient.setEventMask`, which also keeps it across reconnects.
   */
  events(mask: AmiEventMask): AmiAction;
  /** `UserEvent`: broadcast a custom event to every AMI session. */
  userEvent(params: AmiUserEventParams): AmiAction;
  /** `Ping`: the reply has `Ping: Pong`. */
  ping(): AmiAction;
  /** `ListCommands`: one reply header per action the server knows. */
  listCommands(): AmiAction;
  /** `GetConfig`: a config file as `Category-000000`/`Line-000000-000000` headers. */
  getConfig(params: AmiGetConfigParams): AmiAction;
  /** `GetConfigJSON`: a config file as JSON in the reply's `JSON` header. */
  getConfigJson(params: AmiGetConfigParams): AmiAction;
  /**
   * `UpdateConfig`: edit a config file; `changes` become numbered headers.
   *
   * @throws {TypeError} With no changes or more than 100000.
   */
  updateConfig(params: AmiUpdateConfigParams): AmiAction;
  /** `CoreStatus`: uptime, reload time, current calls. */
  coreStatus(): AmiAction;
  /** `CoreSettings`: versions and main settings. */
  coreSettings(): AmiAction;
  /** `ModuleCheck`: whether a module is loaded. */
  moduleCheck(params: { readonly Module: string }): AmiAction;
  /** `ModuleLoad`: load, unload or reload a module. */
  moduleLoad(params: AmiModuleLoadParams): AmiAction;
  /** `AGI`: queue an AGI command on an AsyncAGI channel. */
  agi(params: AmiAgiParams): AmiAction;
}

function required(
  action: string,
  params: object | undefined,
  ...keys: string[]
): void {
  for (const key of keys) {
    const value = (params as Record<string, unknown> | undefined)?.[key];
    if (value === undefined || value === "") {
      throw new TypeError(
        `Cannot build AMI action ${JSON.stringify(action)}: ${key} is required`,
      );
    }
  }
}

function build(action: string, params?: object): AmiAction {
  return params === undefined
    ? { Action: action }
    : { Action: action, ...params };
}

const pad = (n: number): string => String(n).padStart(6, "0");

/**
 * Builders of common AMI actions: `amiActions.originate({...})` returns
 * `{ Action: "Originate", ... }`, ready for `AmiClient.send`. Required
 * headers are checked (`TypeError` when missing); everything else is passed
 * through as written.
 *
 * @example Building actions
 * ```ts
 * import { amiActions, formatAmiAction } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const originate = amiActions.originate({
 *   Channel: "PJSIP/100",
 *   Context: "default",
 *   Exten: "200",
 *   Priority: 1,
 *   Variable: { CAMPAIGN: "spring", RETRY: 2 },
 * });
 * assert.equal(
 *   formatAmiAction(originate),
 *   "Action: Originate\r\nChannel: PJSIP/100\r\nContext: default\r\n" +
 *     "Exten: 200\r\nPriority: 1\r\nVariable: CAMPAIGN=spring\r\n" +
 *     "Variable: RETRY=2\r\n\r\n",
 * );
 * assert.deepEqual(amiActions.dbPut({ Family: "cf", Key: "100", Val: "200" }), {
 *   Action: "DBPut",
 *   Family: "cf",
 *   Key: "100",
 *   Val: "200",
 * });
 * assert.throws(() => amiActions.getvar({ Variable: "" }), TypeError);
 * ```
 */
export const amiActions: AmiActionBuilders = Object.freeze({
  originate(params: AmiOriginateParams): AmiAction {
    required("Originate", params, "Channel");
    const app = params.Application !== undefined;
    const exten = params.Exten !== undefined;
    if (app === exten) {
      throw new TypeError(
        'Cannot build AMI action "Originate": give either Application or Exten (with Context), not both or neither',
      );
    }
    return build("Originate", params);
  },
  hangup(params: AmiHangupParams): AmiAction {
    required("Hangup", params, "Channel");
    return build("Hangup", params);
  },
  redirect(params: AmiRedirectParams): AmiAction {
    required("Redirect", params, "Channel", "Exten", "Context", "Priority");
    return build("Redirect", params);
  },
  getvar(params: AmiGetvarParams): AmiAction {
    required("Getvar", params, "Variable");
    return build("Getvar", params);
  },
  setvar(params: AmiSetvarParams): AmiAction {
    required("Setvar", params, "Variable");
    if (params.Value === undefined) {
      throw new TypeError(
        'Cannot build AMI action "Setvar": Value is required',
      );
    }
    return build("Setvar", params);
  },
  status(params: AmiStatusParams = {}): AmiAction {
    const { Variables, ...rest } = params;
    return build("Status", {
      ...rest,
      ...(Variables === undefined ? {} : {
        Variables: typeof Variables === "string"
          ? Variables
          : Variables.join(","),
      }),
    });
  },
  coreShowChannels(): AmiAction {
    return build("CoreShowChannels");
  },
  queueStatus(params: AmiQueueStatusParams = {}): AmiAction {
    return build("QueueStatus", params);
  },
  queueAdd(params: AmiQueueAddParams): AmiAction {
    required("QueueAdd", params, "Queue", "Interface");
    return build("QueueAdd", params);
  },
  queueRemove(params: AmiQueueRemoveParams): AmiAction {
    required("QueueRemove", params, "Queue", "Interface");
    return build("QueueRemove", params);
  },
  queuePause(params: AmiQueuePauseParams): AmiAction {
    required("QueuePause", params, "Interface", "Paused");
    return build("QueuePause", params);
  },
  pjsipShowEndpoints(): AmiAction {
    return build("PJSIPShowEndpoints");
  },
  dbGet(params: AmiDbKeyParams): AmiAction {
    required("DBGet", params, "Family", "Key");
    return build("DBGet", params);
  },
  dbPut(params: AmiDbPutParams): AmiAction {
    required("DBPut", params, "Family", "Key");
    return build("DBPut", params);
  },
  dbDel(params: AmiDbKeyParams): AmiAction {
    required("DBDel", params, "Family", "Key");
    return build("DBDel", params);
  },
  playDtmf(params: AmiPlayDtmfParams): AmiAction {
    required("PlayDTMF", params, "Channel", "Digit");
    return build("PlayDTMF", params);
  },
  atxfer(params: AmiAtxferParams): AmiAction {
    required("Atxfer", params, "Channel", "Exten");
    return build("Atxfer", params);
  },
  bridge(params: AmiBridgeParams): AmiAction {
    required("Bridge", params, "Channel1", "Channel2");
    return build("Bridge", params);
  },
  mixMonitor(params: AmiMixMonitorParams): AmiAction {
    required("MixMonitor", params, "Channel");
    return build("MixMonitor", params);
  },
  stopMixMonitor(params: AmiStopMixMonitorParams): AmiAction {
    required("StopMixMonitor", params, "Channel");
    return build("StopMixMonitor", params);
  },
  reload(params: { readonly Module?: string } = {}): AmiAction {
    return build("Reload", params);
  },
  filter(params: AmiFilterParams): AmiAction {
    if (params?.Filter === undefined && params?.MatchCriteria === undefined) {
      throw new TypeError(
        'Cannot build AMI action "Filter": Filter or MatchCriteria is required',
      );
    }
    const { Operation = "Add", ...rest } = params;
    return { Action: "Filter", Operation, ...rest };
  },
  events(mask: AmiEventMask): AmiAction {
    return { Action: "Events", EventMask: formatEventMask(mask) };
  },
  userEvent(params: AmiUserEventParams): AmiAction {
    required("UserEvent", params, "UserEvent");
    return build("UserEvent", params);
  },
  ping(): AmiAction {
    return build("Ping");
  },
  listCommands(): AmiAction {
    return build("ListCommands");
  },
  getConfig(params: AmiGetConfigParams): AmiAction {
    required("GetConfig", params, "Filename");
    return build("GetConfig", params);
  },
  getConfigJson(params: AmiGetConfigParams): AmiAction {
    required("GetConfigJSON", params, "Filename");
    return build("GetConfigJSON", params);
  },
  updateConfig(params: AmiUpdateConfigParams): AmiAction {
    required("UpdateConfig", params, "SrcFilename", "DstFilename");
    const { changes, Reload, ...rest } = params;
    if (
      !Array.isArray(changes) || changes.length === 0 ||
      changes.length > 100_000
    ) {
      throw new TypeError(
        'Cannot build AMI action "UpdateConfig": changes must list between 1 and 100000 changes',
      );
    }
    const action: Record<string, AmiFieldValue> = { Action: "UpdateConfig" };
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) action[key] = value as AmiFieldValue;
    }
    if (Reload !== undefined) action.Reload = Reload;
    changes.forEach((change, n) => {
      required("UpdateConfig", change, "Action", "Cat");
      for (
        const key of [
          "Action",
          "Cat",
          "Var",
          "Value",
          "Match",
          "Line",
          "Options",
        ] as const
      ) {
        const value = change[key];
        if (value !== undefined) action[`${key}-${pad(n)}`] = value;
      }
    });
    return action as unknown as AmiAction;
  },
  coreStatus(): AmiAction {
    return build("CoreStatus");
  },
  coreSettings(): AmiAction {
    return build("CoreSettings");
  },
  moduleCheck(params: { readonly Module: string }): AmiAction {
    required("ModuleCheck", params, "Module");
    return build("ModuleCheck", params);
  },
  moduleLoad(params: AmiModuleLoadParams): AmiAction {
    required("ModuleLoad", params, "LoadType");
    return build("ModuleLoad", params);
  },
  agi(params: AmiAgiParams): AmiAction {
    required("AGI", params, "Channel", "Command");
    return build("AGI", params);
  },
});
