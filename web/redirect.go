package web

import (
	"net/url"
	"strings"
)

// maxNext bounds the return path kept in a pending-login cookie.
const maxNext = 2048

// safeReturnTo reports whether next is a path on this site, safe to
// redirect to after a login: it must start with exactly one "/", hold no
// backslash (browsers read it as "/"), white space or control character,
// name no scheme or host, and keep all of that once its path is
// percent-decoded (up to three times, for doubly encoded attempts).
// Anything else — "//evil.com", "/\evil.com", "https://evil.com",
// "/%2F%2Fevil.com" — is refused, and the caller uses the landing page.
func safeReturnTo(next string) (string, bool) {
	if next == "" || len(next) > maxNext || strings.ContainsFunc(next, unsafeRune) {
		return "", false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	p, _, _ := strings.Cut(next, "?")
	p, _, _ = strings.Cut(p, "#")
	for range 4 {
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsFunc(p, unsafeDecoded) {
			return "", false
		}
		d, err := url.PathUnescape(p)
		if err != nil {
			return "", false
		}
		if d == p {
			return next, true
		}
		p = d
	}
	return "", false
}

// unsafeRune reports the characters a return path may not hold.
func unsafeRune(r rune) bool { return r == ' ' || unsafeDecoded(r) }

// unsafeDecoded reports the characters its path may not hold once
// percent-decoded (where an encoded space is fine).
func unsafeDecoded(r rune) bool {
	return r == '\\' || r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\ufffd'
}
