package auth

import (
	"io"
	"regexp"
	"strings"
	"unicode"
)

const redacted = "[REDACTED]"

// redact hides a secret but keeps whether it is set visible, which is what
// one needs when debugging.
func redact(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

func writeString(w io.Writer, s string) { _, _ = io.WriteString(w, s) }

// maxSnippet bounds how much of an unexpected response body an error shows.
const maxSnippet = 120

// tokenRe matches where a credential can appear in a token endpoint's text:
// the value of a token parameter in JSON or a form, or a JWT (an ID token).
var tokenRe = regexp.MustCompile(`(?i)(\b(?:access_token|refresh_token|id_token|client_secret|code_verifier|code)"?\s*[=:]\s*"?)[^&"\s,}]+` +
	`|\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// sanitize turns untrusted server text into a short single-line snippet:
// known secrets and anything in the place of a token (a token parameter's
// value, a JWT) are replaced, control characters become spaces, runs of
// white space collapse and the result is cut to at most maxSnippet runes
// followed by "…".
func sanitize(s string, secrets ...string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for _, sec := range secrets {
		if len(sec) >= 4 { // shorter strings would mangle ordinary text
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = tokenRe.ReplaceAllStringFunc(s, func(m string) string {
		if sub := tokenRe.FindStringSubmatch(m); sub[1] != "" {
			return sub[1] + redacted
		}
		return redacted
	})
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		need := 1
		if space {
			need++
		}
		if n+need > maxSnippet {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
