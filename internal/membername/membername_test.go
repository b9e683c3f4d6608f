package membername

import (
	"strings"
	"testing"
)

func TestPlausible(t *testing.T) {
	t.Parallel()
	known := map[string]bool{"gjm": true}
	for _, tc := range []struct {
		key  string
		name bool
	}{
		{"photoUrl", true}, {"dateTimAccount", true}, {"sha1Hash", true}, {"userID", true},
		{"access_token", true}, {"XSLBMC", true}, {"UPDATE_TIMESTAMP", true},
		{"name", true}, {"seat", true}, {"gjm", true}, // the vocabulary, the spec's names
		{"zhangsan", false}, {"lisi", false}, {"hezuo", false}, // accounts
		{"20240901", false}, {"522031910000", false}, {"A0000000-1111-2222-3333-012345678901", false},
		{"someone@sjtu.edu.cn", false}, {"张三", false}, {"MATH1207", false}, {"user2024", false},
		{"", false}, {"a.b", false}, {"x[]", false}, {"*", false}, {strings.Repeat("a", 41) + "B", false},
	} {
		if got := Plausible(tc.key, known); got != tc.name {
			t.Errorf("Plausible(%q) = %v, want %v", tc.key, got, tc.name)
		}
	}
}
