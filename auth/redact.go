package auth

import (
	"io"
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

// sanitize turns untrusted server text into a short single-line snippet:
// known secrets are replaced, control characters become spaces, runs of
// white space collapse and the result is cut to maxSnippet runes.
func sanitize(s string, secrets ...string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for _, sec := range secrets {
		if len(sec) >= 4 { // shorter strings would mangle ordinary text
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= maxSnippet {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
