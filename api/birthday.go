package api

import "github.com/oauth-jaccount/jaccount-go/internal/wire"

// BirthdayFromMillis returns the Birthday given as epoch milliseconds, the
// form jAccount's documentation gives (to fill a Profile for a test, say).
// A Birthday, whichever form it holds, tells its calendar date (Date,
// String: "2006-01-02"), the form it came in (Millis, Parts) and whether it
// was sent at all (IsZero), and encodes back to the JSON it was decoded
// from.
func BirthdayFromMillis(ms int64) Birthday { return wire.BirthdayFromMillis(ms) }

// BirthdayFromParts returns the Birthday given as string parts, the other
// form replies carry: {"birthYear":"2002","birthMonth":"01","birthDay":"02"}.
func BirthdayFromParts(p BirthdayParts) Birthday { return wire.BirthdayFromParts(p) }
