package jaccount_test

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The documentation's files: README.md, CONTRIBUTING.md and every page of
// docs/. Their Go snippets compile (TestDocSnippets), their relative links
// resolve (TestDocLinks) and the identifiers they name exist
// (TestDocIdentifiers); CONTRIBUTING.md explains the conventions.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md", "CONTRIBUTING.md"}, pages...)
}

// snippetFiles are the files whose Go snippets must compile: the user's
// documentation. CONTRIBUTING.md's show the SDK's own code, which compiles
// in its package.
func snippetFiles(t *testing.T) []string {
	t.Helper()
	return slices.DeleteFunc(docFiles(t), func(f string) bool { return f == "CONTRIBUTING.md" })
}

// maxREADMELines keeps README a front page (issue 18): reference material
// goes to docs/, maintainer material to CONTRIBUTING.md.
const maxREADMELines = 250

// declsMarker precedes, in docs/README.md, the Go block that declares what
// the fragments use without declaring it.
const declsMarker = "<!-- snippet-declarations -->"

// block is a fenced code block of a Markdown file.
type block struct {
	file  string
	line  int    // the line of its first line of code (1-based)
	info  string // what follows the opening ```
	code  string
	decls bool // it follows declsMarker
}

// fencedBlocks returns the fenced code blocks of a Markdown file.
func fencedBlocks(t *testing.T, file string) []block {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	var cur *block
	var code strings.Builder
	prev := ""
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{file: file, line: n + 1, info: strings.TrimSpace(strings.TrimPrefix(line, "```")),
				decls: strings.TrimSpace(prev) == declsMarker}
			code.Reset()
		case cur != nil && strings.TrimSpace(line) == "```":
			cur.code = code.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			code.WriteString(line + "\n")
		}
		prev = line
	}
	if cur != nil {
		t.Fatalf("%s:%d: a code block that never ends", file, cur.line-1)
	}
	return out
}

// fragmentImports are the packages a fragment may use without importing
// them, each with a name of it that the fragment's file uses, so that an
// import the fragment does not use compiles.
var fragmentImports = map[string]string{
	"context":                      "context.Background",
	"encoding/json":                "json.Marshal",
	"errors":                       "errors.New",
	"fmt":                          "fmt.Println",
	"io":                           "io.EOF",
	"log":                          "log.Print",
	"log/slog":                     "slog.Info",
	"net/http":                     "http.StatusOK",
	"net/url":                      "url.Parse",
	"os":                           "os.Getenv",
	"strings":                      "strings.Cut",
	"time":                         "time.Second",
	"github.com/redis/go-redis/v9": "redis.Nil",
	"github.com/oauth-jaccount/jaccount-go/api":             "api.DefaultBaseURL",
	"github.com/oauth-jaccount/jaccount-go/auth":            "auth.ErrNoToken",
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore": "redisstore.DefaultKeyPrefix",
	"github.com/oauth-jaccount/jaccount-go/jaccounttest":    "jaccounttest.StudentUsername",
	"github.com/oauth-jaccount/jaccount-go/web":             "web.ErrNoSession",
}

// declImports are the packages the declarations of docs/README.md may use.
var declImports = []string{"context", "net/http", "testing", "github.com/oauth-jaccount/jaccount-go/api",
	"github.com/oauth-jaccount/jaccount-go/auth"}

// TestDocSnippets compiles (go vet) every Go block of README.md and
// docs/*.md, so that none can rot. A block that starts with a package
// clause is a file of its own package. Any other is a fragment: the body
// of a func() error, in a package that declares what the block after
// declsMarker in docs/README.md declares and imports fragmentImports. The
// //line comments make the compiler's errors name the Markdown file and
// line.
func TestDocSnippets(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("compiles the documentation's snippets; skipped in -short mode")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeSnippetModule(t, root, dir)

	main, err := os.ReadFile(filepath.Join("examples", "minimal", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(main), "\npackage main\n")
	minimal := "package main\n" + rest

	var decls *block
	var fragments, files int
	for _, file := range snippetFiles(t) {
		for _, b := range fencedBlocks(t, file) {
			if b.info != "go" {
				continue
			}
			switch {
			case b.decls:
				if decls != nil {
					t.Fatalf("%s:%d: a second block of declarations (the first is at %s:%d)", b.file, b.line, decls.file, decls.line)
				}
				decls = &b
			case strings.HasPrefix(firstCodeLine(b.code), "package "):
				if b.file == "README.md" && b.code != minimal {
					t.Errorf("%s:%d: README's program is not examples/minimal/main.go (from its package clause on)", b.file, b.line)
				}
				files++
				writeFile(t, filepath.Join(dir, fmt.Sprintf("file%d", files), "main.go"),
					fmt.Sprintf("//line %s:%d\n%s", filepath.Join(root, b.file), b.line, b.code))
			default:
				fragments++
				writeFile(t, filepath.Join(dir, "fragments", fmt.Sprintf("fragment%d.go", fragments)), fragmentFile(root, b, fragments))
			}
		}
	}
	if decls == nil {
		t.Fatalf("docs/README.md has no Go block after %s", declsMarker)
	}
	var imports strings.Builder
	for _, p := range declImports {
		fmt.Fprintf(&imports, "\t%q\n", p)
	}
	writeFile(t, filepath.Join(dir, "fragments", "decls.go"),
		fmt.Sprintf("package fragments\n\nimport (\n%s)\n\n//line %s:%d\n%s", imports.String(), filepath.Join(root, decls.file), decls.line, decls.code))
	if fragments+files < 10 {
		t.Fatalf("found only %d Go blocks; the scan is broken", fragments+files)
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the documentation's Go blocks do not compile (go vet: %v):\n%s", err,
			strings.ReplaceAll(string(out), root+string(filepath.Separator), ""))
	}
	t.Logf("%d fragments and %d files compile", fragments, files)
}

// writeSnippetModule makes dir a module that requires what the examples
// module does, with the SDK and auth/redisstore replaced by this checkout,
// so that the snippets build offline against this tree.
func writeSnippetModule(t *testing.T, root, dir string) {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join(root, "examples", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "examples", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^module .*$`).ReplaceAllString(string(mod), "module snippets")
	m = strings.NewReplacer("=> ../auth/redisstore", "=> "+filepath.Join(root, "auth", "redisstore"),
		"=> ../\n", "=> "+root+"\n").Replace(m)
	if !strings.Contains(m, "=> "+root+"\n") {
		t.Fatalf("examples/go.mod no longer replaces the SDK with ../:\n%s", mod)
	}
	writeFile(t, filepath.Join(dir, "go.mod"), m)
	writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
}

// firstCodeLine is the first line of code that is not blank or a comment.
func firstCodeLine(code string) string {
	for _, l := range strings.Split(code, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "//") {
			return l
		}
	}
	return ""
}

// fragmentFile wraps a fragment into the function fragment<n>, which
// returns nil after its last statement unless that is a return.
func fragmentFile(root string, b block, n int) string {
	var s strings.Builder
	s.WriteString("package fragments\n\nimport (\n")
	paths := make([]string, 0, len(fragmentImports))
	for p := range fragmentImports {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		fmt.Fprintf(&s, "\t%q\n", p)
	}
	s.WriteString(")\n\nvar (\n")
	for _, p := range paths {
		fmt.Fprintf(&s, "\t_ = %s\n", fragmentImports[p])
	}
	fmt.Fprintf(&s, ")\n\nfunc fragment%d() error {\n//line %s:%d\n%s", n, filepath.Join(root, b.file), b.line, b.code)
	if !endsWithReturn(b.code) {
		s.WriteString("return nil\n")
	}
	s.WriteString("}\n")
	return s.String()
}

// endsWithReturn reports whether the fragment's last statement is a return
// (false when it does not parse: the compiler then says why).
func endsWithReturn(code string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc f() {\n"+code+"\n}\n", 0)
	if err != nil {
		return false
	}
	body := f.Decls[0].(*ast.FuncDecl).Body.List
	if len(body) == 0 {
		return false
	}
	_, ok := body[len(body)-1].(*ast.ReturnStmt)
	return ok
}

// linkRE matches a Markdown link's target: [text](target) or [text]: target.
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)`)

// TestDocLinks resolves every relative link of the documentation: the file
// must exist and, for a link to a heading (#fragment) of a Markdown file,
// the heading too, by GitHub's anchors. Links inside code are not links.
func TestDocLinks(t *testing.T) {
	t.Parallel()
	anchors := map[string]map[string]bool{}
	anchorsOf := func(file string) map[string]bool {
		if a, ok := anchors[file]; ok {
			return a
		}
		a := headingAnchors(t, file)
		anchors[file] = a
		return a
	}
	var links int
	for _, file := range docFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range proseLines(string(b)) {
			if line == "" {
				continue
			}
			for _, m := range linkRE.FindAllStringSubmatch(stripCodeSpans(line), -1) {
				target := m[1] + m[2]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				path, frag, _ := strings.Cut(target, "#")
				dest := file
				if path != "" {
					dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
					if _, err := os.Stat(dest); err != nil {
						t.Errorf("%s:%d: link to %s: %v", file, n+1, target, err)
						continue
					}
				}
				if frag != "" {
					if !strings.HasSuffix(dest, ".md") {
						t.Errorf("%s:%d: link to %s: a fragment of a file that is not Markdown", file, n+1, target)
					} else if !anchorsOf(dest)[frag] {
						t.Errorf("%s:%d: link to %s: %s has no heading with the anchor #%s", file, n+1, target, dest, frag)
					}
				}
			}
		}
	}
	if links < 20 {
		t.Fatalf("found only %d relative links; the scan is broken", links)
	}
}

// proseLines returns the lines of a Markdown text with those of fenced
// code blocks blanked, so that line numbers stay.
func proseLines(text string) []string {
	lines := strings.Split(text, "\n")
	in := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			lines[i] = ""
			continue
		}
		if in {
			lines[i] = ""
		}
	}
	return lines
}

// stripCodeSpans removes `code spans` from a line.
func stripCodeSpans(line string) string {
	return regexp.MustCompile("`[^`]*`").ReplaceAllString(line, "")
}

// headingAnchors returns the anchors GitHub gives the headings of a
// Markdown file: the text lowercased, without punctuation but hyphens and
// underscores, spaces turned into hyphens, a repeated anchor numbered.
func headingAnchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range proseLines(string(b)) {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(l, "#"))
		var a strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r == ' ':
				a.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				a.WriteRune(r)
			}
		}
		anchor := a.String()
		if k := seen[anchor]; k > 0 {
			out[fmt.Sprintf("%s-%d", anchor, k)] = true
		} else {
			out[anchor] = true
		}
		seen[anchor]++
	}
	return out
}

// TestREADMEFrontPage keeps README a front page: at most maxREADMELines
// lines, and the test command that .ci/run reads from it (the sh block
// after the marker).
func TestREADMEFrontPage(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if n := strings.Count(readme, "\n"); n > maxREADMELines {
		t.Errorf("README.md has %d lines, more than %d: move reference material to docs/ and maintainer material to CONTRIBUTING.md", n, maxREADMELines)
	}
	_, after, ok := strings.Cut(readme, "<!-- test-command -->\n```sh\ngo test -race -count=1 -timeout 30m ./...\n```\n")
	if !ok || after == "" {
		t.Error("README.md lacks the test command that .ci/run reads: <!-- test-command --> and the sh block of `go test -race -count=1 -timeout 30m ./...`")
	}
}

// docPackages are the packages the documentation names by their package
// name, with their directories.
var docPackages = map[string]string{"api": "api", "auth": "auth", "web": "web", "jaccounttest": "jaccounttest",
	"redisstore": "auth/redisstore", "gen": "gen"}

// mentionRE matches pkg.Name and pkg.Name.Member in the documentation.
var mentionRE = regexp.MustCompile(`\b(api|auth|web|jaccounttest|redisstore|gen)\.([A-Z]\w*)(?:\.([A-Z]\w*))?`)

// TestDocIdentifiers checks that every exported identifier the prose of the
// documentation names, as pkg.Name or pkg.Type.Member (a method or a field),
// exists: a renamed or removed one must not live on in the text. (The Go
// blocks are compiled by TestDocSnippets.)
func TestDocIdentifiers(t *testing.T) {
	t.Parallel()
	pkgs := map[string]*pkgNames{}
	for name, dir := range docPackages {
		pkgs[name] = exportedNames(t, dir)
	}
	var mentions int
	for _, file := range docFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range proseLines(string(b)) {
			for _, m := range mentionRE.FindAllStringSubmatch(line, -1) {
				mentions++
				p, name, member := pkgs[m[1]], m[2], m[3]
				if !p.top[name] {
					t.Errorf("%s:%d: %s.%s does not exist", file, n+1, m[1], name)
					continue
				}
				if member == "" || !p.isType(name) {
					continue
				}
				if !p.hasMember(pkgs, name, member) {
					t.Errorf("%s:%d: %s.%s has no method or field %s", file, n+1, m[1], name, member)
				}
			}
		}
	}
	if mentions < 100 {
		t.Fatalf("found only %d mentions of identifiers; the scan is broken", mentions)
	}
}

// pkgNames are a package's exported names.
type pkgNames struct {
	top     map[string]bool            // every exported top-level name
	members map[string]map[string]bool // a type's methods and fields
	aliases map[string][2]string       // type X = pkg.Y
}

func (p *pkgNames) isType(name string) bool {
	_, t := p.members[name]
	_, a := p.aliases[name]
	return t || a
}

func (p *pkgNames) hasMember(all map[string]*pkgNames, name, member string) bool {
	if a, ok := p.aliases[name]; ok {
		if q := all[a[0]]; q != nil {
			return q.hasMember(all, a[1], member)
		}
		return true // an alias of a type outside the documented packages
	}
	return p.members[name][member]
}

// exportedNames parses the package in dir (all its non-test files) and
// returns its exported names.
func exportedNames(t *testing.T, dir string) *pkgNames {
	t.Helper()
	p := &pkgNames{top: map[string]bool{}, members: map[string]map[string]bool{}, aliases: map[string][2]string{}}
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	member := func(typ, name string) {
		if p.members[typ] == nil {
			p.members[typ] = map[string]bool{}
		}
		if name != "" {
			p.members[typ][name] = true
		}
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					p.top[d.Name.Name] = true
					continue
				}
				recv := d.Recv.List[0].Type
				if s, ok := recv.(*ast.StarExpr); ok {
					recv = s.X
				}
				switch r := recv.(type) {
				case *ast.Ident:
					member(r.Name, d.Name.Name)
				case *ast.IndexExpr: // a method of a generic type
					member(r.X.(*ast.Ident).Name, d.Name.Name)
				case *ast.IndexListExpr:
					member(r.X.(*ast.Ident).Name, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							p.top[n.Name] = true
						}
					case *ast.TypeSpec:
						p.top[s.Name.Name] = true
						member(s.Name.Name, "")
						if s.Assign != 0 {
							if sel, ok := s.Type.(*ast.SelectorExpr); ok {
								p.aliases[s.Name.Name] = [2]string{sel.X.(*ast.Ident).Name, sel.Sel.Name}
							} else if ix, ok := s.Type.(*ast.IndexExpr); ok { // type X = pkg.G[T]
								if sel, ok := ix.X.(*ast.SelectorExpr); ok {
									p.aliases[s.Name.Name] = [2]string{sel.X.(*ast.Ident).Name, sel.Sel.Name}
								}
							}
						}
						var fields *ast.FieldList
						switch st := s.Type.(type) {
						case *ast.StructType:
							fields = st.Fields
						case *ast.InterfaceType:
							fields = st.Methods
						}
						if fields != nil {
							for _, fl := range fields.List {
								for _, n := range fl.Names {
									member(s.Name.Name, n.Name)
								}
								if len(fl.Names) == 0 { // embedded: its name
									typ := fl.Type
									if st, ok := typ.(*ast.StarExpr); ok {
										typ = st.X
									}
									switch e := typ.(type) {
									case *ast.Ident:
										member(s.Name.Name, e.Name)
									case *ast.SelectorExpr:
										member(s.Name.Name, e.Sel.Name)
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return p
}
