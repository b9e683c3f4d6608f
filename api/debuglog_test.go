package api

import (
	"net/http"
	"testing"
)

// TestLogPath: a path is logged as its operation's template, or with every
// segment that is not a word of the spec's paths redacted.
func TestLogPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ client, method, path, want string }{
		{"", http.MethodGet, "/v1/profile/alice", "/v1/profile/{id}"},
		{"", http.MethodGet, "/v1/me/profile", "/v1/me/profile"},
		{"", http.MethodGet, "/v1/lesson/CS101%2F1", "/v1/lesson/{code}"},
		{"", http.MethodGet, "/v1/barcode/code128/4242.png", "/v1/barcode/{type}/{value}.{imageType}"},
		{"", http.MethodGet, "/v1/file/edit", "/v1/file/edit"},
		{"", http.MethodPut, "/v1/profile/alice", "/v1/profile/{redacted}"},
		{"", http.MethodGet, "/v1/unmodeled/alice/13900000000", "/v1/{redacted}/{redacted}/{redacted}"},
		{"", http.MethodGet, "/", "/"},
		{"DataClient", http.MethodGet, "/v1/profile/alice", "/v1/profile/{redacted}"},
	} {
		if got := logPath(tt.client, tt.method, tt.path); got != tt.want {
			t.Errorf("logPath(%q, %s, %q) = %q, want %q", tt.client, tt.method, tt.path, got, tt.want)
		}
	}
}

// TestQueryKeys: names only, in order, once each.
func TestQueryKeys(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{
		"":                                      "",
		"account=alice":                         "account",
		"ids=1&ids=2&name=A%20B&access_token=x": "ids,name,access_token",
		"flag&=v&x=":                            "flag,x",
	} {
		if got := queryKeys(q); got != want {
			t.Errorf("queryKeys(%q) = %q, want %q", q, got, want)
		}
	}
}
