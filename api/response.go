package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Response is what a call's reply said besides its entities, and what the
// call took: WithResponseInto fills one, for a success and for a failure
// alike. A call refused before it starts (an invalid argument or option)
// leaves it as it was.
type Response struct {
	// StatusCode is the HTTP status of the reply the call ended with; 0
	// when none arrived (a connection failure, a timeout).
	StatusCode int
	// Header holds that reply's header fields, without those that may
	// carry a secret: cookies (Set-Cookie), authentication (Authorization,
	// WWW-Authenticate, …), any field whose name speaks of a token, a
	// secret, a session, a key or a password, and any field whose value
	// holds the call's access token or looks like one. Nil when no reply
	// arrived.
	Header http.Header
	// Total is the envelope's total: for a paged result, the number of
	// entities in the whole result. 0 when the reply had none, or was not
	// an envelope (a Blob).
	Total int64
	// NextToken is the envelope's nextToken (operations that page by
	// token), "" when absent.
	NextToken string
	// Attempts is the number of attempts made.
	Attempts int
	// Duration is the time the call took, from its start to its end
	// (reading and decoding the reply included).
	Duration time.Duration
}

// fill records the end of the call in st's Response, if the call has one:
// resp is the reply it ended with (nil for none), total and next the
// envelope's.
func (st *callState) fill(resp *http.Response, total int64, next string) {
	r := st.response()
	if r == nil {
		return
	}
	*r = Response{Total: total, NextToken: next, Attempts: st.attempts, Duration: time.Since(st.start)}
	if resp != nil {
		r.StatusCode = resp.StatusCode
		r.Header = safeHeader(resp.Header, st.secrets())
	}
}

// response is the Response the call fills, nil for none.
func (st *callState) response() *Response {
	if st == nil || st.set == nil {
		return nil
	}
	return st.set.into
}

// safeHeader returns a copy of h without the fields that may carry a
// secret (see Response.Header); secrets are the tokens the call sent.
func safeHeader(h http.Header, secrets []string) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if secretField(k) {
			continue
		}
		keep := true
		for _, v := range vs {
			// sanitize changes a value only when it finds a secret in it
			// (or a control character, which a parsed header cannot hold).
			if sanitize(v, len(v)+len("…"), secrets...) != strings.TrimSpace(v) {
				keep = false
				break
			}
		}
		if keep {
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}

// secretWords are the words whose presence in a header field's name makes
// Response.Header leave it out.
var secretWords = []string{"cookie", "auth", "token", "secret", "session", "key", "password", "credential"}

// secretField reports whether the header field name may carry a secret.
func secretField(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// ownHeaders are the request header fields the client sets itself, or
// the connection owns, which WithHeader refuses (canonical keys).
var ownHeaders = map[string]string{
	"Authorization":       "the client sends the token",
	"Proxy-Authorization": "the transport's proxy sets it",
	"Cookie":              "the API takes no cookie, and a cookie may carry a session",
	"Host":                "the base URL sets it",
	"Content-Type":        "the operation's body sets it",
	"Content-Length":      "the body sets it",
	"Transfer-Encoding":   "the body sets it",
	"Accept":              "the client asks for what the operation answers",
	"Accept-Encoding":     "the transport negotiates compression",
	"User-Agent":          "use WithUserAgent",
	"Connection":          "the transport manages the connection",
	"Proxy-Connection":    "the transport manages the connection",
	"Keep-Alive":          "the transport manages the connection",
	"Upgrade":             "the transport manages the connection",
	"Te":                  "the transport manages the connection",
	"Trailer":             "the transport manages the connection",
	"Expect":              "the transport manages the connection",
}

// checkHeader checks a header field of WithHeader and returns its
// canonical key. The error names the key, never the value, which may be a
// secret.
func checkHeader(key, value string) (string, error) {
	if !validFieldName(key) {
		return "", fmt.Errorf("%w: WithHeader(%q): not a valid header field name", ErrInvalidOption, key)
	}
	ck := http.CanonicalHeaderKey(key)
	if why, ok := ownHeaders[ck]; ok {
		return "", fmt.Errorf("%w: WithHeader(%q): the client sets this header (%s)", ErrInvalidOption, ck, why)
	}
	for i := 0; i < len(value); i++ {
		if b := value[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return "", fmt.Errorf("%w: WithHeader(%q): the value holds a control character", ErrInvalidOption, ck)
		}
	}
	return ck, nil
}

// validFieldName reports whether s is a header field name: a token of
// RFC 9110 (letters, digits and !#$%&'*+-.^_`|~).
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}
