// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The AGI commands a stock Asterisk registers (PROTOCOL.md §1.6): their
 * words, whether they run on a dead channel, their argument-count rule and
 * the usage text a 520 block shows. Internal to astemu.
 *
 * The usage texts of STREAM FILE and DATABASE PUT are the ones a real
 * Asterisk sent (tests/fixtures/transcripts/agi-stdio.txt); the others are
 * written in the same style.
 *
 * @module
 */

/** One registered AGI command. */
export interface AgiCommandSpec {
  /** The command words, upper case (`["STREAM", "FILE"]`). */
  readonly words: readonly string[];
  /** Allowed on a dead channel (the `dead=1` flag). */
  readonly dead: boolean;
  /** Smallest accepted argc (all words, command words included). */
  readonly minArgs: number;
  /** Largest accepted argc. */
  readonly maxArgs: number;
  /** The usage (description) text; several lines joined by LF. */
  readonly usage: string;
}

const ANY = Number.POSITIVE_INFINITY;

function spec(
  name: string,
  dead: boolean,
  minArgs: number,
  maxArgs: number,
  usage: string,
): AgiCommandSpec {
  return { words: name.split(" "), dead, minArgs, maxArgs, usage };
}

/** Every command, in Asterisk's registration order. */
export const AGI_COMMANDS: readonly AgiCommandSpec[] = [
  spec(
    "ANSWER",
    false,
    0,
    ANY,
    "Answers channel if not already in answer state. Returns <literal>-1</literal> on channel failure, or <literal>0</literal> if successful.",
  ),
  spec(
    "ASYNCAGI BREAK",
    true,
    0,
    ANY,
    "Interrupts expected flow of Async AGI commands and returns control to previous source (typically, the PBX dialplan).",
  ),
  spec(
    "CHANNEL STATUS",
    false,
    2,
    3,
    "Returns the status of the specified <replaceable>channelname</replaceable>. If no channel name is given then returns the status of the current channel.\nReturn values:\n    <value>0</value>: Channel is down and available.\n    <value>1</value>: Channel is down, but reserved.\n    <value>2</value>: Channel is off hook.\n    <value>3</value>: Digits (or equivalent) have been dialed.\n    <value>4</value>: Line is ringing.\n    <value>5</value>: Remote end is ringing.\n    <value>6</value>: Line is up.\n    <value>7</value>: Line is busy.",
  ),
  spec(
    "CONTROL STREAM FILE",
    false,
    5,
    10,
    "Send the given file, allowing playback to be controlled by the given digits, if any. Use double quotes for the digits if you wish none to be permitted. If offsetms is provided then playback will start at offsetms into the file. Returns <literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value of the digit if one was pressed, or <literal>-1</literal> on error or if the channel was disconnected.\nIt sets the following channel variables upon completion:\n<variable>CPLAYBACKSTATUS</variable>: Contains the status of the attempt as a text string\n    <value>SUCCESS</value>\n    <value>USERSTOPPED</value>\n    <value>REMOTESTOPPED</value>\n    <value>ERROR</value>\n<variable>CPLAYBACKOFFSET</variable>: Contains the offset in ms into the file where playback was at when it stopped. <literal>-1</literal> is end of file.\n<variable>CPLAYBACKSTOPKEY</variable>: If the playback is stopped by the user this variable contains the key that was pressed.",
  ),
  spec(
    "DATABASE DEL",
    true,
    4,
    4,
    "Deletes an entry in the Asterisk database for a given <replaceable>family</replaceable> and <replaceable>key</replaceable>.\nReturns <literal>1</literal> if successful, <literal>0</literal> otherwise.",
  ),
  spec(
    "DATABASE DELTREE",
    true,
    3,
    4,
    "Deletes a <replaceable>family</replaceable> or specific <replaceable>keytree</replaceable> within a <replaceable>family</replaceable> in the Asterisk database.\nReturns <literal>1</literal> if successful, <literal>0</literal> otherwise.",
  ),
  spec(
    "DATABASE GET",
    true,
    4,
    4,
    "Retrieves an entry in the Asterisk database for a given <replaceable>family</replaceable> and <replaceable>key</replaceable>.\nReturns <literal>0</literal> if <replaceable>key</replaceable> is not set. Returns <literal>1</literal> if <replaceable>key</replaceable> is set and returns the variable in parenthesis.\nExample return code: 200 result=1 (testvariable)",
  ),
  spec(
    "DATABASE PUT",
    true,
    5,
    5,
    "Adds or updates an entry in the Asterisk database for a given <replaceable>family</replaceable>, <replaceable>key</replaceable>, and <replaceable>value</replaceable>.\nReturns <literal>1</literal> if successful, <literal>0</literal> otherwise.",
  ),
  spec(
    "EXEC",
    true,
    2,
    ANY,
    "Executes <replaceable>application</replaceable> with given <replaceable>options</replaceable>.\nReturns whatever the <replaceable>application</replaceable> returns, or <literal>-2</literal> on failure to find <replaceable>application</replaceable>.",
  ),
  spec(
    "GET DATA",
    false,
    3,
    ANY,
    "Stream the given <replaceable>file</replaceable>, and receive DTMF data.\nReturns the digits received from the channel at the other end.",
  ),
  spec(
    "GET FULL VARIABLE",
    true,
    4,
    5,
    "Evaluates the given <replaceable>expression</replaceable> against the channel specified by <replaceable>channelname</replaceable>, or the current channel if channelname is not provided. Unlike GET VARIABLE, the <replaceable>expression</replaceable> is processed in a manner similar to dialplan evaluation, allowing complex and built-in variables to be accessed, e.g. <literal>The time is ${EPOCH}</literal>\nReturns <literal>0</literal> if no channel matching <replaceable>channelname</replaceable> exists, <literal>1</literal> otherwise.\nExample return code: 200 result=1 (The time is 1578493800)",
  ),
  spec(
    "GET OPTION",
    false,
    4,
    5,
    "Behaves similar to STREAM FILE but used with a timeout option.",
  ),
  spec(
    "GET VARIABLE",
    true,
    3,
    3,
    "Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set. Returns <literal>1</literal> if <replaceable>variablename</replaceable> is set and returns the variable in parentheses.\nExample return code: 200 result=1 (testvariable)",
  ),
  spec(
    "GOSUB",
    false,
    4,
    5,
    "Cause the channel to execute the specified dialplan subroutine, returning to the dialplan with execution of a Return().",
  ),
  spec(
    "HANGUP",
    false,
    1,
    2,
    "Hangs up the specified channel. If no channel name is given, hangs up the current channel",
  ),
  spec(
    "NOOP",
    true,
    0,
    ANY,
    "Does nothing.",
  ),
  spec(
    "RECEIVE CHAR",
    false,
    3,
    3,
    "Receives a character of text on a channel. Most channels do not support the reception of text. Returns the decimal value of the character if one is received, or <literal>0</literal> if the channel does not support text reception. Returns <literal>-1</literal> only on error/hangup.",
  ),
  spec(
    "RECEIVE TEXT",
    false,
    3,
    3,
    "Receives a string of text on a channel. Most channels do not support the reception of text. Returns <literal>-1</literal> for failure or <literal>1</literal> for success, and the string in parenthesis.",
  ),
  spec(
    "RECORD FILE",
    false,
    6,
    ANY,
    "Record to a file until a given dtmf digit in the sequence is received. Returns <literal>-1</literal> on hangup or error.  The format will specify what kind of file will be recorded. The <replaceable>timeout</replaceable> is the maximum record time in milliseconds, or <literal>-1</literal> for no <replaceable>timeout</replaceable>. <replaceable>offset samples</replaceable> is optional, and, if provided, will seek to the offset without exceeding the end of the file. <replaceable>beep</replaceable> can take any value, and causes Asterisk to play a beep to the channel that is about to be recorded. <replaceable>silence</replaceable> is the number of seconds of silence allowed before the function returns despite the lack of dtmf digits or reaching <replaceable>timeout</replaceable>. <replaceable>silence</replaceable> value must be preceded by <literal>s=</literal> and is also optional.",
  ),
  spec(
    "SAY ALPHA",
    false,
    4,
    5,
    "Say a given character string, returning early if any of the given DTMF digits are received on the channel. Returns <literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value of the digit if one was pressed or <literal>-1</literal> on error/hangup.",
  ),
  spec(
    "SAY DIGITS",
    false,
    4,
    4,
    "Say a given digit string, returning early if any of the given DTMF digits are received on the channel. Returns <literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value of the digit if one was pressed or <literal>-1</literal> on error/hangup.",
  ),
  spec(
    "SAY NUMBER",
    false,
    4,
    5,
    "Say a given number, returning early if any of the given DTMF digits are received on the channel.  Returns <literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value of the digit if one was pressed or <literal>-1</literal> on error/hangup.",
  ),
  spec(
    "SAY PHONETIC",
    false,
    4,
    4,
    "Say a given character string with phonetics, returning early if any of the given DTMF digits are received on the channel. Returns <literal>0</literal> if playback completes without a digit pressed, the ASCII numerical value of the digit if one was pressed, or <literal>-1</literal> on error/hangup.",
  ),
  spec(
    "SAY DATE",
    false,
    4,
    4,
    "Say a given date, returning early if any of the given DTMF digits are received on the channel. Returns <literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value of the digit if one was pressed or <literal>-1</literal> on error/hangup.",
  ),
  spec(
    "SAY TIME",
    false,
    4,
    4,
    "Say a given time, returning early if any of the given DTMF digits are received on the channel. Returns <literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value of the digit if one was pressed or <literal>-1</literal> on error/hangup.",
  ),
  spec(
    "SAY DATETIME",
    false,
    4,
    6,
    "Say a given time, returning early if any of the given DTMF digits are received on the channel. Returns <literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value of the digit if one was pressed or <literal>-1</literal> on error/hangup.",
  ),
  spec(
    "SEND IMAGE",
    false,
    3,
    3,
    "Sends the given image on a channel. Most channels do not support the transmission of images. Returns <literal>0</literal> if image is sent, or if the channel does not support image transmission.  Returns <literal>-1</literal> only on error/hangup. Image names should not include extensions.",
  ),
  spec(
    "SEND TEXT",
    false,
    3,
    3,
    "Sends the given text on a channel. Most channels do not support the transmission of text. Returns <literal>0</literal> if text is sent, or if the channel does not support text transmission. Returns <literal>-1</literal> only on error/hangup.",
  ),
  spec(
    "SET AUTOHANGUP",
    false,
    3,
    3,
    "Cause the channel to automatically hangup at <replaceable>time</replaceable> seconds in the future. Of course it can be hungup before then as well. Setting to <literal>0</literal> will cause the autohangup feature to be disabled on this channel.",
  ),
  spec(
    "SET CALLERID",
    false,
    0,
    ANY,
    "Changes the callerid of the current channel.",
  ),
  spec(
    "SET CONTEXT",
    false,
    3,
    3,
    "Sets the context for continuation upon exiting the application.",
  ),
  spec(
    "SET EXTENSION",
    false,
    3,
    3,
    "Changes the extension for continuation upon exiting the application.",
  ),
  spec(
    "SET MUSIC",
    false,
    3,
    ANY,
    "Enables/Disables the music on hold generator. If <replaceable>class</replaceable> is not specified, then the <literal>default</literal> music on hold class will be used. This generator will be stopped automatically when playing a file.\nAlways returns <literal>0</literal>.",
  ),
  spec(
    "SET PRIORITY",
    false,
    3,
    3,
    "Changes the priority for continuation upon exiting the application. The priority must be a valid priority or label.",
  ),
  spec(
    "SET VARIABLE",
    true,
    4,
    4,
    "Sets a variable to the current channel.",
  ),
  spec(
    "STREAM FILE",
    false,
    4,
    5,
    "Send the given file, allowing playback to be interrupted by the given digits, if any. Returns <literal>0</literal> if playback completes without a digit being pressed, or the ASCII numerical value of the digit if one was pressed, or <literal>-1</literal> on error or if the channel was disconnected. If musiconhold is playing before calling stream file it will be automatically stopped and will not be restarted after completion.\nIt sets the following channel variables upon completion:\n<variable>PLAYBACKSTATUS</variable>: The status of the playback attempt as a text string.\n    <value>SUCCESS</value>\n    <value>FAILED</value>",
  ),
  spec(
    "TDD MODE",
    false,
    3,
    3,
    "Enable/Disable TDD transmission/reception on a channel. Returns <literal>1</literal> if successful, or <literal>0</literal> if channel is not TDD-capable.",
  ),
  spec(
    "VERBOSE",
    true,
    2,
    ANY,
    "Sends <replaceable>message</replaceable> to the console via verbose message system. <replaceable>level</replaceable> is the verbose level (1-4). Always returns <literal>1</literal>",
  ),
  spec(
    "WAIT FOR DIGIT",
    false,
    4,
    4,
    "Waits up to <replaceable>timeout</replaceable> milliseconds for channel to receive a DTMF digit. Returns <literal>-1</literal> on channel failure, <literal>0</literal> if no digit is received in the timeout, or the numerical value of the ascii of the digit if one is received. Use <literal>-1</literal> for the <replaceable>timeout</replaceable> value if you desire the call to block indefinitely.",
  ),
  spec(
    "SPEECH CREATE",
    false,
    0,
    ANY,
    "Create a speech object to be used by the other Speech AGI commands.",
  ),
  spec(
    "SPEECH SET",
    false,
    4,
    4,
    "Set an engine-specific setting.",
  ),
  spec(
    "SPEECH DESTROY",
    true,
    0,
    ANY,
    "Destroy the speech object created by <literal>SPEECH CREATE</literal>.",
  ),
  spec(
    "SPEECH LOAD GRAMMAR",
    false,
    5,
    5,
    "Loads the specified grammar as the specified name.",
  ),
  spec(
    "SPEECH UNLOAD GRAMMAR",
    true,
    4,
    4,
    "Unloads the specified grammar.",
  ),
  spec(
    "SPEECH ACTIVATE GRAMMAR",
    false,
    4,
    4,
    "Activates the specified grammar on the speech object.",
  ),
  spec(
    "SPEECH DEACTIVATE GRAMMAR",
    false,
    4,
    4,
    "Deactivates the specified grammar on the speech object.",
  ),
  spec(
    "SPEECH RECOGNIZE",
    false,
    4,
    ANY,
    "Plays back given <replaceable>prompt</replaceable> while listening for speech and dtmf.",
  ),
];

/**
 * Finds the command a line's words name, as `find_command` does: the
 * command words compare case-insensitively, extra words are arguments, and a
 * command needs all of its words.
 *
 * @param words The parsed words of a command line.
 * @param commands The command table to search.
 * @returns The matching command, or `undefined` (510).
 */
export function findAgiCommand(
  words: readonly string[],
  commands: readonly AgiCommandSpec[] = AGI_COMMANDS,
): AgiCommandSpec | undefined {
  for (const command of commands) {
    if (command.words.length > words.length) continue;
    let match = true;
    for (let i = 0; i < command.words.length; i++) {
      if (command.words[i] !== asciiUpper(words[i]!)) {
        match = false;
        break;
      }
    }
    if (match) return command;
  }
  return undefined;
}

/** Upper-cases ASCII letters only, like `strcasecmp` compares. */
function asciiUpper(word: string): string {
  return word.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}
