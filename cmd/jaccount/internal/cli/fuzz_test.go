package cli

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// FuzzFit: whatever text the server sends, a table cell is one line no
// wider than its column, and valid UTF-8 when the text was.
func FuzzFit(f *testing.F) {
	for _, s := range []string{"", "abc", "第一餐饮大楼", "a\nb\tc\r", "👩‍👩‍👧‍👦 family", "e\u0301\u0301\u0301", "\x00\x1b[2J"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, w int) {
		if w < 1 || w > 200 {
			return
		}
		got := fit(s, w)
		if strings.IndexFunc(got, isControl) >= 0 {
			t.Fatalf("fit(%q, %d) = %q keeps a control character", s, w, got)
		}
		if uniseg.StringWidth(got) > w && uniseg.StringWidth(oneLineCell(s)) > w {
			t.Fatalf("fit(%q, %d) = %q is %d cells wide", s, w, got, uniseg.StringWidth(got))
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("fit(%q, %d) = %q is not UTF-8", s, w, got)
		}
	})
}

// FuzzClean: an error message from the server is one short line without
// control characters (no terminal escapes on stderr).
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "Authentication Failed.", "\x1b]0;title\x07", "a\nb", strings.Repeat("长", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s)
		for _, r := range got {
			if isControl(r) {
				t.Fatalf("clean(%q) = %q keeps control character %U", s, got, r)
			}
		}
		if n := utf8.RuneCountInString(got); n > 201 {
			t.Fatalf("clean(%q) is %d characters", s, n)
		}
	})
}
