// Package redact keeps credentials out of what the SDK shows: the printed
// forms of values that hold a secret (Secret, Write) and text copied from a
// server's answer into an error or a log record (Text). Packages auth, api
// and web use it, so that every error and every printed value of the SDK is
// scrubbed by the same rules.
package redact

import (
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted is what a secret is replaced with.
const Redacted = "[REDACTED]"

// Secret hides s but keeps visible whether it is set, which is what one
// needs when debugging: `""` for an empty s, Redacted otherwise.
func Secret(s string) string {
	if s == "" {
		return `""`
	}
	return Redacted
}

// Write writes s to w, ignoring the error: the body of a Format method that
// prints every verb as the value's String, so that no verb (%#v, %x, …)
// reaches the fields that hold secrets.
func Write(w io.Writer, s string) { _, _ = io.WriteString(w, s) }

// MinSecret is the length below which a known secret is not replaced: a
// shorter string would mangle ordinary text.
const MinSecret = 4

// tokenRe matches where a credential can appear in a server's text: the
// value of a credential parameter in a query, a form or JSON
// (access_token=…, "refresh_token": "…"), an Authorization value
// (Bearer …), or a JWT (an ID token) anywhere.
var tokenRe = regexp.MustCompile(
	`(?i)(\b(?:access_token|refresh_token|id_token|client_secret|client_id|code_verifier|code)"?\s*[=:]\s*"?)[^&"\s,}]+` +
		`|(\bbearer\s+)[^\s",}]+` +
		`|\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// Text makes untrusted text (a server's error message or body) safe to
// show on one line: it replaces the known secrets (those of at least
// MinSecret bytes) and anything in the place of a credential (see tokenRe:
// a credential parameter's value, a Bearer value, a JWT) with Redacted,
// turns invalid UTF-8, control and other non-printing characters into
// spaces, collapses runs of white space into one space, trims the ends and
// cuts the result to at most limit bytes, marking a cut with "…" (so the
// result has at most limit+3 bytes).
//
// Only the first 4*limit+4096 bytes of s are looked at: enough that a cut
// cannot leave part of a known secret, or of a credential the patterns
// find, unredacted in what is shown, however long the body.
func Text(s string, limit int, secrets ...string) string {
	if w := 4*max(limit, 0) + 4096; len(s) > w {
		s = s[:w]
	}
	for _, sec := range secrets {
		if len(sec) >= MinSecret {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	s = tokenRe.ReplaceAllString(s, "${1}${2}"+Redacted)
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		need := utf8.RuneLen(r)
		if space {
			need++
		}
		if b.Len()+need > limit {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
