package redact

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const fuzzToken = "tok-SECRET-fuzz-123"

func TestSecret(t *testing.T) {
	t.Parallel()
	if got := Secret(""); got != `""` {
		t.Errorf(`Secret("") = %q, want ""`, got)
	}
	if got := Secret("hunter2"); got != Redacted {
		t.Errorf("Secret(x) = %q, want %q", got, Redacted)
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6aGFuZ3NhbiJ9.c2lnbmF0dXJl"
	long := strings.Repeat("x", 500)
	tests := []struct {
		name, in, want string
		limit          int
		secrets        []string
	}{
		{"white space and controls collapse", "  a\n\tb\x00c  ", "a b c", 120, nil},
		{"known secret", "token=abcdef", "token=" + Redacted, 120, []string{"abcdef"}},
		{"secret too short to scrub", "abc", "abc", 120, []string{"ab"}},
		{"invalid UTF-8", "a\xff\xfeb", "a b", 120, nil},
		{"only invalid UTF-8", "\xff\xfe", "", 120, nil},
		{"zero-width and format characters", "a\u200bb\u2028c", "a b c", 120, nil},
		{"cut", long, strings.Repeat("x", 120) + "…", 120, nil},
		// A space pending at the limit is not written past it (the fuzz
		// failure kept in auth's testdata/fuzz/FuzzTokenResponse).
		{"pending space at the limit", strings.Repeat("x", 120) + " y", strings.Repeat("x", 120) + "…", 120, nil},
		{"pending space below the limit", strings.Repeat("x", 119) + " y", strings.Repeat("x", 119) + "…", 120, nil},
		{"multi-byte runes are not split", strings.Repeat("é", 10), "éé…", 5, nil},
		{"JSON credentials", `{"access_token":"abc","code":"xyz"}`, `{"access_token":"` + Redacted + `","code":"` + Redacted + `"}`, 120, nil},
		{"form credentials", "client_id=app&client_secret=s3&code_verifier=v&refresh_token=r",
			"client_id=" + Redacted + "&client_secret=" + Redacted + "&code_verifier=" + Redacted + "&refresh_token=" + Redacted, 200, nil},
		{"bearer", "Authorization: Bearer abc.def", "Authorization: Bearer " + Redacted, 120, nil},
		{"JWT", "<p>" + jwt + "</p>", "<p>" + Redacted + "</p>", 120, nil},
		{"id_token", `id_token: ` + jwt, "id_token: " + Redacted, 120, nil},
		{"error_code is not code", `{"error_code":"E1"}`, `{"error_code":"E1"}`, 120, nil},
		{"a cut inside a secret shows no part of it", strings.Repeat("x", 10) + fuzzToken, strings.Repeat("x", 10) + "[R…", 12, []string{fuzzToken}},
	}
	for _, tt := range tests {
		if got := Text(tt.in, tt.limit, tt.secrets...); got != tt.want {
			t.Errorf("%s: Text(%q, %d) = %q, want %q", tt.name, tt.in, tt.limit, got, tt.want)
		}
	}
}

// TestTextLongInput: a secret at the end of a body far longer than the
// window looked at is never shown (it is cut off with the rest).
func TestTextLongInput(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("a ", 1<<20) + fuzzToken
	if out := Text(s, 200, fuzzToken); strings.Contains(out, fuzzToken) || len(out) > 203 {
		t.Fatalf("Text of a long body = %q", out)
	}
}

// FuzzSanitize checks Text on arbitrary text, secrets and limits: the
// result is bounded, valid, printable UTF-8 on one line and holds neither
// the known secret nor a credential parameter's value.
func FuzzSanitize(f *testing.F) {
	f.Add("hello "+fuzzToken+" world", fuzzToken, 50)
	f.Add("access_token=abc&client_id=def Bearer xyz", "abcdefgh", 10)
	f.Add("\x00\x01\u200b\xff\xfe", "zzzzzzzz", 200)
	f.Add(strings.Repeat("é", 1000), "éééééééé", 7)
	f.Add(`{"refresh_token":"`+fuzzToken+`"}`, "zzzzzzzz", 120)
	f.Fuzz(func(t *testing.T, s, secret string, limit int) {
		limit = 1 + (limit%1000+1000)%1000
		if len(secret) < 8 || strings.IndexFunc(secret, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0 {
			secret = fuzzToken
		}
		out := Text(s, limit, secret)
		if len(out) > limit+len("…") {
			t.Fatalf("%d bytes, limit %d: %q", len(out), limit, out)
		}
		if !utf8.ValidString(out) || strings.ContainsRune(out, utf8.RuneError) || strings.IndexFunc(out, func(r rune) bool {
			return r != ' ' && (unicode.IsSpace(r) || !unicode.IsPrint(r))
		}) >= 0 {
			t.Fatalf("unclean text %q", out)
		}
		if strings.Contains(out, "  ") || strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") {
			t.Fatalf("white space not collapsed: %q", out)
		}
		if strings.Contains(out, secret) {
			t.Fatalf("Text(%q) = %q holds %q", s, out, secret)
		}
	})
}
