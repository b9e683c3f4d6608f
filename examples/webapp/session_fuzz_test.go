package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzSessionCookie feeds the session decoder arbitrary cookie values (they
// come from the browser) and checks that only values signed with the key
// pass, that encode/decode round-trips, and that flipping any byte of a valid
// cookie gets it refused.
func FuzzSessionCookie(f *testing.F) {
	f.Add("", "state", 0)
	f.Add("e30.c2ln", "s", 3)
	f.Add("eyJleHAiOjF9.AAAA", "", 100)
	f.Add("..", "状态", -7)
	now := time.Unix(1_800_000_000, 0)
	s := &sessions{key: []byte("fuzz-key"), now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, raw, state string, flip int) {
		if _, err := s.decode(raw); err == nil {
			payload, sig, _ := strings.Cut(raw, ".")
			if sig != s.sign(payload) {
				t.Fatalf("decode accepted %q, which is not signed with the key", raw)
			}
		}
		if !utf8.ValidString(state) {
			return // json.Marshal replaces invalid UTF-8, so no exact round trip
		}
		v, err := s.encode(session{Login: &pendingLogin{State: state}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.decode(v)
		if err != nil || got.Login == nil || got.Login.State != state {
			t.Fatalf("round trip of state %q: %+v, %v", state, got, err)
		}
		b := []byte(v)
		i := flip % len(b)
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 1
		if _, err := s.decode(string(b)); err == nil {
			t.Fatalf("decode accepted %q, cookie %q with byte %d flipped", b, v, i)
		}
	})
}
