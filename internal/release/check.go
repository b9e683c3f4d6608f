package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// targets are the platforms a release ships the jaccount command for.
var targets = []struct{ goos, goarch string }{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// consumerMain is the program of the consumer module of the check: it
// imports what the SDK's users import, and prints the versions of the
// SDK's modules it was built with.
const consumerMain = `// Command releasecheck is a user's program: it imports the SDK's public
// packages and prints the versions of the SDK's modules it was built with.
package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
	"github.com/oauth-jaccount/jaccount-go/web"
)

// One type of each package, so that each is compiled and linked.
var (
	_ *auth.Config
	_ *api.Client
	_ *web.Handler
	_ *jaccounttest.Server
	_ *redisstore.Store
)

func main() {
	bi, _ := debug.ReadBuildInfo()
	for _, d := range bi.Deps {
		if strings.HasPrefix(d.Path, "github.com/oauth-jaccount/jaccount-go") {
			fmt.Println(d.Path, d.Version, d.Sum)
		}
	}
}
`

// session is one run of check or dist, in a scratch directory.
type session struct {
	out   io.Writer
	tmp   string // the scratch directory
	start time.Time
}

// show writes paths in the scratch directory as $TMP/...
func (c *session) show(s string) string {
	if rest, ok := strings.CutPrefix(s, c.tmp); ok {
		return "$TMP" + rest
	}
	return s
}

func (c *session) step(format string, args ...any) {
	fmt.Fprintf(c.out, "\n==> [%s] %s\n", time.Since(c.start).Round(time.Second), fmt.Sprintf(format, args...))
}

func (c *session) run(dir string, env []string, name string, args ...string) error {
	return command{dir: dir, env: env}.run(c.out, c.show, name, args...)
}

// runOutput runs a command as run does and also returns its standard output.
func (c *session) runOutput(dir string, env []string, name string, args ...string) (string, error) {
	line := append([]string{name}, args...)
	for i, a := range line {
		line[i] = shellQuote(c.show(a))
	}
	fmt.Fprintf(c.out, "+ (cd %s) %s\n", shellQuote(c.show(dir)), strings.Join(line, " "))
	s, err := command{dir: dir, env: env}.output(name, args...)
	if s != "" {
		fmt.Fprintln(c.out, s)
	}
	return s, err
}

// check is the release check: see the package documentation.
func check(dir, version string, keep bool, out io.Writer) (err error) {
	c := &session{out: out, start: time.Now()}
	src, err := openRepo(dir, out)
	if err != nil {
		return err
	}
	head, err := src.head()
	if err != nil {
		return err
	}
	if c.tmp, err = os.MkdirTemp("", "jaccount-release-check-"); err != nil {
		return err
	}
	fmt.Fprintf(out, "release check of %s at %s\nscratch directory: $TMP=%s\n", src.top, head, c.tmp)
	if st, _ := src.git.output("git", "status", "--porcelain"); st != "" {
		fmt.Fprintln(out, "note: the work tree has changes; the check releases HEAD, without them")
	}
	// Two module caches of its own: the versions it releases are not the
	// real ones, and must never reach the user's module cache.
	modcache := filepath.Join(c.tmp, "modcache")
	prepCache := filepath.Join(c.tmp, "prepare-modcache")
	defer func() {
		if keep {
			fmt.Fprintf(out, "kept %s\n", c.tmp)
			return
		}
		// Module caches are read-only; the go command removes them.
		for _, mc := range []string{modcache, prepCache} {
			_, _ = command{env: []string{"GOMODCACHE=" + mc}}.output("go", "clean", "-modcache")
		}
		if rerr := os.RemoveAll(c.tmp); err == nil && rerr != nil {
			err = rerr
		}
	}()

	c.step("a scratch clone of HEAD, with the tags of this repository")
	r, err := c.clone(src, head, filepath.Join(c.tmp, "repo"))
	if err != nil {
		return err
	}
	// prepare's go mod tidy gets the other modules from the user's module
	// cache (read as a proxy), so that it needs the network only for what
	// that cache lacks.
	r.goEnv = []string{"GOMODCACHE=" + prepCache}
	if mc := goEnv("GOMODCACHE"); mc != "" {
		r.upstream = fileURL(filepath.Join(mc, "cache", "download")) + "," + goEnv("GOPROXY")
	}
	rels, err := r.releases()
	if err != nil {
		return err
	}
	newest := newestRoot(rels, nil)
	if version == "" {
		if newest == nil {
			version = nextMinor("")
		} else {
			version = nextMinor(newest.Version)
		}
	}
	if newest == nil {
		fmt.Fprintf(out, "no release yet (no tag, no entry in %s); releasing %s\n", manifestPath, version)
	} else {
		fmt.Fprintf(out, "newest release %s (%s, %s); releasing %s\n", newest.Version, newest.Commit, newest.Source, version)
	}

	c.step("prepare %s (go run ./internal/release prepare %s)", version, version)
	if err := r.prepare(version, time.Now().UTC().Format(time.DateOnly)); err != nil {
		return err
	}
	if err := c.run(r.top, identity, "git", "commit", "--quiet", "--all", "--message", "Release "+version+" (release check)"); err != nil {
		return err
	}

	c.step("tag %s (go run ./internal/release tag %s)", version, version)
	if err := r.tag(version); err != nil {
		return err
	}
	tagged, err := r.head()
	if err != nil {
		return err
	}

	c.step("a file-system module proxy from the tags (go run ./internal/release proxy $TMP/proxy)")
	p, err := r.buildProxy(filepath.Join(c.tmp, "proxy"))
	if err != nil {
		return err
	}
	hashes := map[string]string{}
	for _, rel := range p.releases {
		hashes[rel.Module.Path+"@"+rel.Version] = rel.Hash
	}
	bin := filepath.Join(c.tmp, "bin")
	env := []string{
		"GOMODCACHE=" + modcache,
		"GOFLAGS=-mod=mod",
		"GOPROXY=" + fileURL(p.dir) + "," + upstreamProxy(),
		"GONOSUMDB=" + r.root.Path,
		"GOWORK=off",
		"GOBIN=" + bin,
	}
	fmt.Fprintln(out, "\nthe user's side, in an empty module cache:")
	for _, kv := range env {
		fmt.Fprintf(out, "  %s\n", c.show(kv))
	}
	cmdPath := r.root.Path + "/cmd/jaccount"

	c.step("install the jaccount command from the proxy")
	if err := c.run(c.tmp, env, "go", "install", cmdPath+"@"+version); err != nil {
		return err
	}
	jaccount := filepath.Join(bin, "jaccount")
	if err := c.run(c.tmp, env, jaccount, "version"); err != nil {
		return err
	}
	js, err := c.runOutput(c.tmp, env, jaccount, "version", "--json")
	if err != nil {
		return err
	}
	var got versionJSON
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		return fmt.Errorf("jaccount version --json: %w", err)
	}
	cmdMod, _ := r.publishedByPath(cmdPath)
	want := versionJSON{Version: version, Module: buildModule{Path: cmdMod.Path, Version: version, Sum: hashes[cmdMod.Path+"@"+version]},
		SDK: &buildModule{Path: r.root.Path, Version: version, Sum: hashes[r.root.Path+"@"+version]}}
	if got.Version != want.Version || got.Module != want.Module || got.SDK == nil || *got.SDK != *want.SDK || got.VCS != nil {
		return fmt.Errorf("jaccount version --json says %+v; want version %s, module %+v, SDK %+v, no VCS", got, version, want.Module, *want.SDK)
	}
	fmt.Fprintf(out, "ok: the installed command is %s %s (%s), built with the SDK %s (%s): the proxy's zips\n",
		got.Module.Path, got.Version, got.Module.Sum, got.SDK.Version, got.SDK.Sum)

	c.step("a consumer module: go get the SDK (@latest) and auth/redisstore@%s, build a program importing auth, api, web, jaccounttest and redisstore", version)
	consumer := filepath.Join(c.tmp, "consumer")
	if err := os.MkdirAll(consumer, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(consumer, "main.go"), []byte(consumerMain), 0o644); err != nil {
		return err
	}
	if err := c.run(consumer, env, "go", "mod", "init", "example.com/releasecheck"); err != nil {
		return err
	}
	if err := c.run(consumer, env, "go", "get", r.root.Path+"@latest", r.root.Path+"/auth/redisstore@"+version); err != nil {
		return err
	}
	if err := c.run(consumer, env, "go", "build", "-o", "releasecheck", "."); err != nil {
		return err
	}
	deps, err := c.runOutput(consumer, env, filepath.Join(consumer, "releasecheck"))
	if err != nil {
		return err
	}
	for _, p := range []string{r.root.Path, r.root.Path + "/auth/redisstore"} {
		line := p + " " + version + " " + hashes[p+"@"+version]
		if !strings.Contains(deps+"\n", line+"\n") {
			return fmt.Errorf("the consumer is not built with %s", line)
		}
	}
	latest, err := c.runOutput(consumer, env, "go", "list", "-m", "-f", "{{.Path}} {{.Version}}", r.root.Path+"@latest", cmdPath+"@latest")
	if err != nil {
		return err
	}
	if latest != r.root.Path+" "+version+"\n"+cmdPath+" "+version {
		return fmt.Errorf("@latest is not %s", version)
	}
	fmt.Fprintf(out, "ok: the consumer built with the SDK and auth/redisstore %s from the proxy; @latest is %s\n", version, version)

	c.step("cross-build the jaccount command as a release ships it (tagged source, -trimpath, CGO_ENABLED=0)")
	if err := c.crossBuild(r, version, tagged, filepath.Join(c.tmp, "dist"), env); err != nil {
		return err
	}

	fmt.Fprintf(out, "\nrelease check: ok: %s of HEAD %s is installable (%s)\n", version, head, time.Since(c.start).Round(time.Second))
	return nil
}

// upstreamProxy is the configured GOPROXY without "direct" and "off": the
// check must not reach for the repository's own host, which this proxy
// stands in for (proxy.golang.org when nothing else is configured).
func upstreamProxy() string {
	var keep []string
	for p := range strings.FieldsFuncSeq(goEnv("GOPROXY"), func(r rune) bool { return r == ',' || r == '|' }) {
		if p != "direct" && p != "off" {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return "https://proxy.golang.org"
	}
	return strings.Join(keep, ",")
}

// versionJSON is what `jaccount version --json` prints, as far as the
// check reads it.
type versionJSON struct {
	Version string       `json:"version"`
	Module  buildModule  `json:"module"`
	SDK     *buildModule `json:"sdk"`
	VCS     *struct {
		Revision string `json:"revision"`
		Modified bool   `json:"modified"`
	} `json:"vcs"`
}

// buildModule is a module of `jaccount version --json`.
type buildModule struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Sum     string `json:"sum"`
}

// clone makes a scratch clone in dir of src's commit, with src's tags, and
// opens it; its commits and tags get the tool's identity.
func (c *session) clone(src *repo, commit, dir string) (*repo, error) {
	if err := c.run(c.tmp, nil, "git", "init", "--quiet", dir); err != nil {
		return nil, err
	}
	if err := c.run(src.top, nil, "git", "push", "--quiet", dir, commit+":refs/heads/release", "refs/tags/*:refs/tags/*"); err != nil {
		return nil, err
	}
	if err := c.run(dir, nil, "git", "checkout", "--quiet", "release"); err != nil {
		return nil, err
	}
	r, err := openRepo(dir, c.out)
	if err != nil {
		return nil, err
	}
	r.ident = identity
	return r, nil
}

// dist builds the jaccount command's release binaries of version, which
// must be released (tagged, or in the manifest), into out: in a scratch
// clone of its commit, against the released SDK from a module proxy of the
// releases.
func dist(dir, version, out string, w io.Writer) (err error) {
	c := &session{out: w, start: time.Now()}
	src, err := openRepo(dir, w)
	if err != nil {
		return err
	}
	rels, err := src.releases()
	if err != nil {
		return err
	}
	var commit string
	for _, m := range src.published {
		rel, ok := rels[m.tag(version)]
		switch {
		case !ok:
			return fmt.Errorf("%s is not released: no tag %s here, and %s does not list it", version, m.tag(version), manifestPath)
		case rel.Missing:
			return fmt.Errorf("%s: commit %s is not in this clone", rel.tag(), rel.Commit)
		case commit != "" && rel.Commit != commit:
			return fmt.Errorf("%s is at %s, but the other modules' %s tags at %s", rel.tag(), rel.Commit, version, commit)
		}
		commit = rel.Commit
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	if c.tmp, err = os.MkdirTemp("", "jaccount-release-dist-"); err != nil {
		return err
	}
	defer os.RemoveAll(c.tmp)
	fmt.Fprintf(w, "the jaccount command's release binaries of %s (%s)\nscratch directory: $TMP=%s\n", version, commit, c.tmp)
	c.step("a scratch clone of %s", commit)
	r, err := c.clone(src, commit, filepath.Join(c.tmp, "repo"))
	if err != nil {
		return err
	}
	c.step("a file-system module proxy of the releases")
	p, err := r.buildProxy(filepath.Join(c.tmp, "proxy"))
	if err != nil {
		return err
	}
	env := []string{"GOPROXY=" + fileURL(p.dir) + "," + upstreamProxy(), "GONOSUMDB=" + r.root.Path, "GOWORK=off", "GOFLAGS=-mod=readonly"}
	c.step("cross-build (tagged source, -trimpath, CGO_ENABLED=0)")
	if err := c.crossBuild(r, version, commit, out, env); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nrelease binaries of %s in %s (%s)\n", version, out, time.Since(c.start).Round(time.Second))
	return nil
}

// crossBuild builds the jaccount command of the clone r, whose HEAD is
// commit, tagged version, for every target into dist as a release ships
// it: from the tagged source, -trimpath, CGO_ENABLED=0, with its VCS stamp
// (so `jaccount version` names the commit). It runs the host's binary's
// `jaccount version --json`, checks it, and writes SHA256SUMS.
func (c *session) crossBuild(r *repo, version, commit, dist string, env []string) error {
	cmdMod, ok := r.publishedByPath(r.root.Path + "/cmd/jaccount")
	if !ok {
		return errors.New("no published module cmd/jaccount")
	}
	var files []string
	for _, t := range targets {
		name := fmt.Sprintf("jaccount_%s_%s_%s", version, t.goos, t.goarch)
		if t.goos == "windows" {
			name += ".exe"
		}
		xenv := append(env[:len(env):len(env)], "CGO_ENABLED=0", "GOOS="+t.goos, "GOARCH="+t.goarch)
		fmt.Fprintf(c.out, "GOOS=%s GOARCH=%s\n", t.goos, t.goarch)
		if err := c.run(r.path(cmdMod.Dir), xenv, "go", "build", "-trimpath", "-buildvcs=true", "-o", filepath.Join(dist, name), "."); err != nil {
			return err
		}
		files = append(files, name)
		if t.goos != runtime.GOOS || t.goarch != runtime.GOARCH {
			continue
		}
		js, err := c.runOutput(c.tmp, nil, filepath.Join(dist, name), "version", "--json")
		if err != nil {
			return err
		}
		var got versionJSON
		if err := json.Unmarshal([]byte(js), &got); err != nil {
			return fmt.Errorf("%s version --json: %w", name, err)
		}
		if got.Version != version || got.VCS == nil || got.VCS.Revision != commit || got.VCS.Modified ||
			got.SDK == nil || got.SDK.Version != version {
			return fmt.Errorf("%s version --json says %+v; want %s at commit %s, unmodified, with the SDK %s", name, got, version, commit, version)
		}
		fmt.Fprintf(c.out, "ok: %s is %s at commit %s, with the SDK %s\n", name, got.Version, got.VCS.Revision, got.SDK.Version)
	}
	var sums strings.Builder
	fmt.Fprintf(c.out, "\n%s:\n", c.show(dist))
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&sums, "%x  %s\n", sum, name)
		fmt.Fprintf(c.out, "  %-36s %10d bytes  %5.1f MiB  sha256 %x…\n", name, len(data), float64(len(data))/(1<<20), sum[:8])
	}
	if err := os.WriteFile(filepath.Join(dist, "SHA256SUMS"), []byte(sums.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "  %-36s (sha256sum -c SHA256SUMS)\n", "SHA256SUMS")
	return nil
}
