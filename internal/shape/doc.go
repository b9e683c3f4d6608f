// Package shape describes JSON replies by their shape alone, and compares
// that shape with the spec's models. It is the common ground of the
// jaccount command's survey (which observes the live service and writes a
// report safe to paste into a public issue) and of internal/apigen's merge
// (which turns a report into a proposed spec change).
//
// A shape holds, for every member path of a value, the JSON types seen and
// the formats detected (a date, UNIX seconds, a UUID, ...), and nothing
// else: no value, no length, no count. Object keys that look like data
// rather than names (digits, UUIDs, e-mail addresses, accounts: anything
// that is not a plausible identifier name) are collapsed to the
// placeholder "*", and the elements of an array are merged into one
// element shape. What a Report can hold is a closed vocabulary (Check
// enforces it), so that a report read from a stranger is as safe to merge
// as one written here.
package shape
