package cli

import (
	"fmt"
	"io"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// buildVersion is what `jaccount version` reports, from the build
// information the go command writes into the binary.
type buildVersion struct {
	// Version is the jaccount module's version: vX.Y.Z when installed with
	// `go install ...@vX.Y.Z` or built from a checkout of its tag (Go 1.24
	// on), a pseudo-version after a commit, "(devel)" from a checkout with
	// VCS stamping off.
	Version string        `json:"version"`
	Module  versionModule `json:"module"`
	// VCS is the commit the binary was built from; only a build in a git
	// checkout with VCS stamping records it (not `go install ...@version`,
	// whose module sum identifies the source instead).
	VCS *versionVCS `json:"vcs,omitempty"`
	// SDK is the jaccount-go module the command was built with.
	SDK  *versionModule `json:"sdk,omitempty"`
	Go   string         `json:"go"`
	OS   string         `json:"os"`
	Arch string         `json:"arch"`
}

// versionModule is a module of the build: its path, version and go.sum
// hash, and what replaced it (a directory, in a checkout).
type versionModule struct {
	Path    string         `json:"path"`
	Version string         `json:"version"`
	Sum     string         `json:"sum,omitempty"`
	Replace *versionModule `json:"replace,omitempty"`
}

// versionVCS is the version control state of a build from a checkout.
type versionVCS struct {
	System   string `json:"system"`
	Revision string `json:"revision"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified"`
}

// sdkPackage is a package of the SDK's module, to find that module among
// the build's dependencies whatever its path.
var sdkPackage = reflect.TypeFor[api.Client]().PkgPath()

// readBuildVersion describes the build from bi (ok false: the binary has
// no build information).
func readBuildVersion(bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: "(unknown)", Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if !ok || bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	v.Module = moduleOf(&bi.Main)
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	vcs := &versionVCS{}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs":
			vcs.System = s.Value
		case "vcs.revision":
			vcs.Revision = s.Value
		case "vcs.time":
			vcs.Time = s.Value
		case "vcs.modified":
			vcs.Modified = s.Value == "true"
		}
	}
	if vcs.Revision != "" {
		v.VCS = vcs
	}
	var sdk *debug.Module
	for _, d := range bi.Deps {
		if (sdkPackage == d.Path || strings.HasPrefix(sdkPackage, d.Path+"/")) && (sdk == nil || len(d.Path) > len(sdk.Path)) {
			sdk = d
		}
	}
	if sdk != nil {
		m := moduleOf(sdk)
		v.SDK = &m
	}
	return v
}

func moduleOf(m *debug.Module) versionModule {
	out := versionModule{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		r := moduleOf(m.Replace)
		out.Replace = &r
	}
	return out
}

// version is the jaccount module's version, for --version and the user
// agent.
func version() string { return readBuildVersion(debug.ReadBuildInfo()).Version }

// pseudoCommitRE finds the commit of a pseudo-version (vX.Y.Z-...-<time>-<commit>).
var pseudoCommitRE = regexp.MustCompile(`[.-]\d{14}-([0-9a-f]{12})(\+[0-9A-Za-z.-]+)?$`)

// commitLine says which commit the build is from, or why it cannot say.
func (v *buildVersion) commitLine() string {
	switch {
	case v.VCS != nil:
		s := v.VCS.Revision
		if v.VCS.Time != "" {
			s += " (" + v.VCS.Time + ")"
		}
		if v.VCS.Modified {
			s += ", with uncommitted changes"
		}
		return s
	case pseudoCommitRE.MatchString(v.Version):
		return pseudoCommitRE.FindStringSubmatch(v.Version)[1] + " (from the pseudo-version; the module sum identifies the source)"
	case v.Module.Sum != "":
		return "not recorded: `go install ...@version` builds the module's zip, which the module sum identifies"
	}
	return "not recorded: built outside a git checkout or with -buildvcs=false"
}

// moduleLine is "path version sum", with " => replacement".
func moduleLine(m *versionModule) string {
	s := strings.TrimSpace(m.Path + " " + m.Version + " " + m.Sum)
	if m.Replace != nil {
		s += " => " + moduleLine(m.Replace)
	}
	return s
}

// writeVersion writes v as `jaccount version` prints it.
func writeVersion(w io.Writer, v *buildVersion) error {
	sdk := "unknown: not in the build information"
	if v.SDK != nil {
		sdk = moduleLine(v.SDK)
	}
	module := moduleLine(&v.Module)
	if module == "" {
		module = "unknown: no build information"
	}
	_, err := fmt.Fprintf(w, "jaccount %s\n  module  %s\n  commit  %s\n  sdk     %s\n  go      %s %s/%s\n",
		v.Version, module, v.commitLine(), sdk, v.Go, v.OS, v.Arch)
	return err
}

func (a *app) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the version, the commit and the SDK the command was built with",
		Long: `Show where this jaccount binary comes from, as the go command recorded it
when it built the binary: the module version (vX.Y.Z when installed with
"go install github.com/oauth-jaccount/jaccount-go/cmd/jaccount@vX.Y.Z"), the
commit (recorded only by a build in a git checkout; an installed release is
identified by its module sum instead), the jaccount-go SDK module it was
built with, and the Go version, OS and architecture. Include it when you
report a problem.

It reads no configuration and needs no login.`,
		Example: `  jaccount version
  jaccount version --json`,
		Args: cobra.NoArgs,
		// Unlike the other commands, no settings: the version of a binary
		// whose configuration is broken is what a bug report needs.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(*cobra.Command, []string) error {
			v := readBuildVersion(debug.ReadBuildInfo())
			if asJSON {
				return writeOne(output{format: formatJSON}, a.env.Stdout, &v)
			}
			return writeVersion(a.env.Stdout, &v)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the build information as JSON")
	return cmd
}
