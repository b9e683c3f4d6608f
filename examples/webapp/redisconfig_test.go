package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestRedisConfigRefused: a Redis configuration that cannot work is
// refused at start, with a message naming the variable and showing no
// password.
func TestRedisConfigRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no session key", map[string]string{"WEBAPP_REDIS_URL": "redis://127.0.0.1:6379/0"}, "WEBAPP_REDIS_URL needs WEBAPP_SESSION_KEY"},
		{"not a redis URL", map[string]string{"WEBAPP_REDIS_URL": "http://:pass-WORD-91@127.0.0.1/", "WEBAPP_SESSION_KEY": strings.Repeat("k", 32)}, "WEBAPP_REDIS_URL: "},
		{"bad prefix", map[string]string{"WEBAPP_REDIS_URL": "redis://127.0.0.1:6379/0", "WEBAPP_SESSION_KEY": strings.Repeat("k", 32), "WEBAPP_REDIS_PREFIX": "my app:"}, "WithKeyPrefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := jaccounttest.New(t)
			getenv := func(k string) string {
				if k == "WEBAPP_ADDR" {
					return "127.0.0.1:0"
				}
				return tt.env[k]
			}
			err := run(t.Context(), setup.WithFake(fake), getenv, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "pass-WORD-91") {
				t.Fatalf("run = %v, want an error containing %q and no password", err, tt.want)
			}
		})
	}
}
