// Strings the engine keeps for minutes (addresses, accounts, Call-IDs) are cut out of log lines
// and packets. V8 represents a cut of 13 or more characters as a view into the string it was cut
// from, so a kept address would pin what it was cut from (a log line's decoded run of lines, up to
// 16 KB; a packet's text) for as long as the source is tracked: a million tracked sources would hold
// a million of them. The engine keeps copies instead.

/** `s` as a string of its own, holding no reference to a larger one it may have been cut from. */
export function detached(s: string): string {
  // Concatenation makes a rope; slicing a rope first flattens it into a new string of length + 1,
  // and the result is a view into that small copy, not into the original line.
  return s.length < 13 ? s : (' ' + s).slice(1);
}
