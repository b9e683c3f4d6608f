package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadBuildVersion(t *testing.T) {
	t.Parallel()
	const (
		cmd  = "github.com/oauth-jaccount/jaccount-go/cmd/jaccount"
		sdk  = "github.com/oauth-jaccount/jaccount-go"
		rev  = "0123456789abcdef0123456789abcdef01234567"
		host = " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	)
	cobra := &debug.Module{Path: "github.com/spf13/cobra", Version: "v1.10.2", Sum: "h1:cobra="}
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-07T10:00:00Z"}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		text string // what `jaccount version` prints
	}{
		{
			name: "go install ...@v0.1.0",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: cmd, Version: "v0.1.0", Sum: "h1:cmd="},
				Deps: []*debug.Module{cobra, {Path: sdk, Version: "v0.1.0", Sum: "h1:sdk="}}},
			text: "jaccount v0.1.0\n" +
				"  module  " + cmd + " v0.1.0 h1:cmd=\n" +
				"  commit  not recorded: `go install ...@version` builds the module's zip, which the module sum identifies\n" +
				"  sdk     " + sdk + " v0.1.0 h1:sdk=\n" +
				"  go      go1.26.8" + host,
		},
		{
			name: "release build from the tagged checkout",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: cmd, Version: "v0.1.0"}, Settings: vcs("false"),
				Deps: []*debug.Module{{Path: sdk, Version: "v0.1.0", Sum: "h1:sdk="}, cobra}},
			text: "jaccount v0.1.0\n" +
				"  module  " + cmd + " v0.1.0\n" +
				"  commit  " + rev + " (2026-12-07T10:00:00Z)\n" +
				"  sdk     " + sdk + " v0.1.0 h1:sdk=\n" +
				"  go      go1.26.8" + host,
		},
		{
			name: "checkout with changes, in the workspace",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: cmd, Version: "v0.1.1-0.20261207100000-0123456789ab+dirty"},
				Settings: vcs("true"), Deps: []*debug.Module{{Path: sdk, Version: "(devel)"}}},
			text: "jaccount v0.1.1-0.20261207100000-0123456789ab+dirty\n" +
				"  module  " + cmd + " v0.1.1-0.20261207100000-0123456789ab+dirty\n" +
				"  commit  " + rev + " (2026-12-07T10:00:00Z), with uncommitted changes\n" +
				"  sdk     " + sdk + " (devel)\n" +
				"  go      go1.26.8" + host,
		},
		{
			name: "go install ...@commit",
			bi: &debug.BuildInfo{GoVersion: "go1.25.4", Main: debug.Module{Path: cmd, Version: "v0.1.1-0.20261207100000-0123456789ab", Sum: "h1:cmd="},
				Deps: []*debug.Module{{Path: sdk, Version: "v0.1.0", Sum: "h1:sdk="}}},
			text: "jaccount v0.1.1-0.20261207100000-0123456789ab\n" +
				"  module  " + cmd + " v0.1.1-0.20261207100000-0123456789ab h1:cmd=\n" +
				"  commit  0123456789ab (from the pseudo-version; the module sum identifies the source)\n" +
				"  sdk     " + sdk + " v0.1.0 h1:sdk=\n" +
				"  go      go1.25.4" + host,
		},
		{
			name: "checkout without VCS stamping, SDK replaced",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: cmd, Version: "(devel)"},
				Deps: []*debug.Module{cobra, {Path: sdk, Version: "v0.0.0-00010101000000-000000000000", Replace: &debug.Module{Path: "../..", Version: "(devel)"}}}},
			text: "jaccount (devel)\n" +
				"  module  " + cmd + " (devel)\n" +
				"  commit  not recorded: built outside a git checkout or with -buildvcs=false\n" +
				"  sdk     " + sdk + " v0.0.0-00010101000000-000000000000 => ../.. (devel)\n" +
				"  go      go1.26.8" + host,
		},
		{
			name: "no build information",
			text: "jaccount (unknown)\n" +
				"  module  unknown: no build information\n" +
				"  commit  not recorded: built outside a git checkout or with -buildvcs=false\n" +
				"  sdk     unknown: not in the build information\n" +
				"  go      " + runtime.Version() + host,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := readBuildVersion(tt.bi, tt.bi != nil)
			var b strings.Builder
			if err := writeVersion(&b, &v); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.text {
				t.Errorf("jaccount version printed\n%s\nwant\n%s", b.String(), tt.text)
			}
			// The JSON holds the same facts.
			js, err := json.Marshal(&v)
			if err != nil {
				t.Fatal(err)
			}
			var back buildVersion
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			var b2 strings.Builder
			if err := writeVersion(&b2, &back); err != nil || b2.String() != tt.text {
				t.Errorf("the JSON %s does not round-trip to the text (%v):\n%s", js, err, b2.String())
			}
		})
	}
}

// TestVersionCommand runs `jaccount version` in this test binary, whose
// build information is the workspace's, and with a configuration file that
// every other command refuses.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	h := &harness{t: t, dir: t.TempDir(), vars: map[string]string{}}
	broken := filepath.Join(h.dir, "config.yaml")
	if err := os.WriteFile(broken, []byte("client_id: [unterminated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.vars[EnvConfig] = broken
	h.vars[EnvConfigDir] = h.dir
	if r := h.run("config"); r.code != ExitUsage {
		t.Fatalf("jaccount config with a broken configuration file: %s; want exit %d", r, ExitUsage)
	}

	// A test binary's build information has the module but no
	// dependencies (go test leaves them out), so the SDK is unknown here;
	// the release check runs the command as installed and as shipped.
	want := readBuildVersion(debug.ReadBuildInfo())
	if want.Module.Path != "github.com/oauth-jaccount/jaccount-go/cmd/jaccount" || want.Go != runtime.Version() ||
		want.OS != runtime.GOOS || want.Arch != runtime.GOARCH {
		t.Errorf("readBuildVersion of this binary = %+v", want)
	}
	var text strings.Builder
	if err := writeVersion(&text, &want); err != nil {
		t.Fatal(err)
	}
	if r := h.mustRun("version"); r.stdout != text.String() || r.stderr != "" {
		t.Errorf("jaccount version: %s; want stdout\n%s", r, text.String())
	}
	r := h.mustRun("version", "--json")
	var got buildVersion
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("jaccount version --json: %v\n%s", err, r)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("jaccount version --json = %+v; want %+v", got, want)
	}
	if r := h.run("version", "extra"); r.code != ExitUsage {
		t.Errorf("jaccount version extra: %s; want exit %d", r, ExitUsage)
	}
}
