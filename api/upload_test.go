package api_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// content is n deterministic bytes.
func content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// onceReader is a reader that is not an io.Seeker and has no Len: it can
// be read once only.
type onceReader struct{ r io.Reader }

func (o *onceReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestUploadAgainstFake uploads files to the fake as file.html describes
// the upload (multipart/form-data: a file part and the secure field) and
// reads the File structure it answers.
func TestUploadAgainstFake(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	tok, err := fake.IssueClientToken("storage")
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(fake.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	data := content(1 << 20)
	got, err := c.File.Upload(ctx, api.FileUploadBody{File: bytes.NewReader(data), FileName: "报告 \"final\".pdf",
		FileContentType: "application/pdf", Secure: api.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 1 || got.Items[0].Mime != "application/pdf" || got.Items[0].Size != int64(len(data)) {
		t.Errorf("uploaded a 1 MiB PDF, got %+v", got.Items)
	}
	// A reader that can be read once only, streamed, with the defaults.
	const big = 5 << 20
	got, err = c.File.Upload(ctx, api.FileUploadBody{File: &onceReader{bytes.NewReader(content(big))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 1 || got.Items[0].Mime != "application/octet-stream" || got.Items[0].Size != big {
		t.Errorf("uploaded 5 MiB from a plain reader, got %+v", got.Items)
	}
	n := countRequests(fake, func(r jaccounttest.Request) bool { return r.Path == api.PathFileUpload })
	if _, err := c.File.Upload(ctx, api.FileUploadBody{FileName: "none"}); !errors.Is(err, api.ErrInvalidArgument) {
		t.Errorf("no file: %v, want ErrInvalidArgument", err)
	}
	if m := countRequests(fake, func(r jaccounttest.Request) bool { return r.Path == api.PathFileUpload }); m != n || n != 2 {
		t.Errorf("%d uploads reached the fake, %d after the one without a file; want 2 and 2", n, m)
	}
	// A user's token is refused: the upload takes the client-credentials grant.
	user, err := fake.IssueToken(jaccounttest.StudentUsername, "storage")
	if err != nil {
		t.Fatal(err)
	}
	uc, _ := api.NewClient(api.StaticToken(user.AccessToken), api.WithBaseURL(fake.APIURL()))
	if _, err := uc.File.Upload(ctx, api.FileUploadBody{File: strings.NewReader("x")}); !errors.Is(err, api.ErrnoAuthenticationScopeFailed) {
		t.Errorf("a user's token: %v, want errno 10010", err)
	}
}

// received is what a capturing server read of one upload.
type received struct {
	contentType   string
	contentLength int64
	fields        map[string]string
	fileName      string
	fileType      string
	file          []byte
	order         []string
	err           error
}

// readUpload reads a multipart upload as a server would, part by part.
func readUpload(r *http.Request) received {
	rc := received{contentType: r.Header.Get("Content-Type"), contentLength: r.ContentLength, fields: map[string]string{}}
	mr, err := r.MultipartReader()
	if err != nil {
		rc.err = err
		return rc
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return rc
		}
		if err != nil {
			rc.err = err
			return rc
		}
		b, err := io.ReadAll(p)
		if err != nil {
			rc.err = err
			return rc
		}
		rc.order = append(rc.order, p.FormName())
		if p.FileName() != "" {
			rc.fileName, rc.fileType, rc.file = p.FileName(), p.Header.Get("Content-Type"), b
		} else {
			rc.fields[p.FormName()] = string(b)
		}
	}
}

// uploadServer records every upload it reads and answers with the
// handlers in turn (each after reading the body, unless early is set).
type uploadServer struct {
	mu    sync.Mutex
	got   []received
	early atomic.Bool // answer the next request without reading its body
}

func (u *uploadServer) handler(status ...int) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(status)-1)
		if !u.early.Swap(false) {
			rc := readUpload(r)
			u.mu.Lock()
			u.got = append(u.got, rc)
			u.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status[i])
		if status[i] == http.StatusOK {
			_, _ = io.WriteString(w, `{"errno":0,"error":"success","total":0,"entities":[{"mime":"application/octet-stream","size":1}]}`)
			return
		}
		_, _ = fmt.Fprintf(w, `{"errno":10004,"error":"INTERNAL_FAILURE","total":0}`)
	})
}

func (u *uploadServer) uploads() []received {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]received(nil), u.got...)
}

// TestUploadWire checks the request against file.html: multipart/form-data
// with the secure field and the file part (its file name and type), a
// Content-Length when the size is known, chunked otherwise.
func TestUploadWire(t *testing.T) {
	t.Parallel()
	us := &uploadServer{}
	s := newServer(t, us.handler(http.StatusOK))
	c := newClient(t, s)
	data := content(300_000)
	// A file on disk, and a reader already moved on: each is sent from
	// where it stands when the call starts.
	path := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(path, append(content(1000), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer onDisk.Close()
	if _, err := onDisk.Seek(1000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	movedOn := bytes.NewReader(append(content(1000), data...))
	_, _ = movedOn.Seek(1000, io.SeekStart)
	for _, tt := range []struct {
		name   string
		body   api.FileUploadBody
		length bool
		fname  string
		ftype  string
		secure string
	}{
		{"os.File", api.FileUploadBody{File: onDisk, FileName: "data.bin"}, true, "data.bin", "application/octet-stream", ""},
		{"moved on", api.FileUploadBody{File: movedOn, FileName: "m"}, true, "m", "application/octet-stream", ""},
		{"seekable", api.FileUploadBody{File: bytes.NewReader(data), FileName: "a.bin", Secure: api.Ptr(false)}, true, "a.bin", "application/octet-stream", "false"},
		{"with Len", api.FileUploadBody{File: bytes.NewBuffer(bytes.Clone(data)), FileName: "b.txt", FileContentType: "text/plain"}, true, "b.txt", "text/plain", ""},
		{"plain reader", api.FileUploadBody{File: &onceReader{bytes.NewReader(data)}, Secure: api.Ptr(true)}, false, "file", "application/octet-stream", "true"},
	} {
		if _, err := c.File.Upload(t.Context(), tt.body); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ups := us.uploads()
		rc := ups[len(ups)-1]
		mt, params, _ := mime.ParseMediaType(rc.contentType)
		switch {
		case rc.err != nil:
			t.Errorf("%s: %v", tt.name, rc.err)
		case mt != "multipart/form-data" || params["boundary"] == "":
			t.Errorf("%s: Content-Type %q", tt.name, rc.contentType)
		case tt.length != (rc.contentLength > 0):
			t.Errorf("%s: Content-Length %d, want one: %v", tt.name, rc.contentLength, tt.length)
		case !bytes.Equal(rc.file, data) || rc.fileName != tt.fname || rc.fileType != tt.ftype:
			t.Errorf("%s: file part %q %q of %d bytes, want %q %q of %d", tt.name, rc.fileName, rc.fileType, len(rc.file), tt.fname, tt.ftype, len(data))
		case rc.fields["secure"] != tt.secure:
			t.Errorf("%s: secure %q, want %q", tt.name, rc.fields["secure"], tt.secure)
		case rc.order[len(rc.order)-1] != "file":
			t.Errorf("%s: parts %v: the file comes last, after the fields", tt.name, rc.order)
		}
	}
}

// gatedReader yields its first chunk, then waits for the server to have
// received bytes of the file before it yields the rest: a client that
// buffered the body before sending it would wait forever.
type gatedReader struct {
	first, rest []byte
	open        <-chan struct{}
	state       int
}

var errNotStreamed = errors.New("the server got nothing while the body was being read: it is not streamed")

func (g *gatedReader) Read(p []byte) (int, error) {
	switch g.state {
	case 0:
		n := copy(p, g.first)
		if g.first = g.first[n:]; len(g.first) == 0 {
			g.state = 1
		}
		return n, nil
	case 1:
		select {
		case <-g.open:
		case <-time.After(10 * time.Second):
			return 0, errNotStreamed
		}
		g.state = 2
		fallthrough
	case 2:
		n := copy(p, g.rest)
		g.rest = g.rest[n:]
		if len(g.rest) == 0 {
			g.state = 3
		}
		return n, nil
	}
	return 0, io.EOF
}

// TestUploadStreams checks that the file is sent as it is read, not
// buffered whole first.
func TestUploadStreams(t *testing.T) {
	t.Parallel()
	data := content(1 << 20)
	open := make(chan struct{})
	var once sync.Once
	var got []byte
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() != "file" {
				continue
			}
			buf := make([]byte, 4096)
			for {
				n, err := p.Read(buf)
				got = append(got, buf[:n]...)
				if n > 0 {
					once.Do(func() { close(open) })
				}
				if err != nil {
					break
				}
			}
		}
		reply(200, "application/json", `{"errno":0,"error":"success","total":0,"entities":[{}]}`).ServeHTTP(w, r)
	}))
	c := newClient(t, s)
	g := &gatedReader{first: data[:64<<10], rest: bytes.Clone(data[64<<10:]), open: open}
	if _, err := c.File.Upload(t.Context(), api.FileUploadBody{File: g}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("the server got %d bytes, want the %d sent", len(got), len(data))
	}
}

// TestUploadRetries checks the retry policy with a streamed body. An
// upload is not idempotent (each stores a new file: issue 17), so it is
// repeated only when it provably never reached the server, and after a
// refresh of a rejected token: a file that can be rewound (an io.Seeker) is
// then sent again whole; a reader that cannot is sent once, and the call is
// not repeated once it has been read.
func TestUploadRetries(t *testing.T) {
	t.Parallel()
	data := content(200_000)
	t.Run("seekable, 503", func(t *testing.T) {
		t.Parallel()
		us := &uploadServer{}
		s := newServer(t, us.handler(http.StatusServiceUnavailable, http.StatusOK))
		c := newClient(t, s)
		_, err := c.File.Upload(t.Context(), api.FileUploadBody{File: bytes.NewReader(data)})
		if !errors.Is(err, api.ErrServerError) || !errors.Is(err, api.ErrOutcomeUnknown) || s.requests.Load() != 1 {
			t.Fatalf("err %v, %d requests; want the 503, outcome unknown, after one request", err, s.requests.Load())
		}
	})
	t.Run("seekable, answered before the body was read", func(t *testing.T) {
		t.Parallel()
		us := &uploadServer{}
		us.early.Store(true)
		s := newServer(t, us.handler(http.StatusServiceUnavailable, http.StatusOK))
		c := newClient(t, s)
		_, err := c.File.Upload(t.Context(), api.FileUploadBody{File: bytes.NewReader(data)})
		if !errors.Is(err, api.ErrOutcomeUnknown) || s.requests.Load() != 1 {
			t.Fatalf("err %v, %d requests; want the 503, outcome unknown, after one request", err, s.requests.Load())
		}
	})
	t.Run("seekable, not connected then sent", func(t *testing.T) {
		t.Parallel()
		us := &uploadServer{}
		s := newServer(t, us.handler(http.StatusOK))
		var calls atomic.Int64
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
			}
			return http.DefaultTransport.RoundTrip(r)
		})
		c := newClient(t, s, api.WithTransport(rt))
		if _, err := c.File.Upload(t.Context(), api.FileUploadBody{File: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		if ups := us.uploads(); calls.Load() != 2 || len(ups) != 1 || !bytes.Equal(ups[0].file, data) {
			t.Fatalf("%d attempts, %d uploads read; want 2 attempts and the second's upload, whole", calls.Load(), len(ups))
		}
	})
	t.Run("read once, 503", func(t *testing.T) {
		t.Parallel()
		us := &uploadServer{}
		s := newServer(t, us.handler(http.StatusServiceUnavailable, http.StatusOK))
		c := newClient(t, s)
		_, err := c.File.Upload(t.Context(), api.FileUploadBody{File: &onceReader{bytes.NewReader(data)}})
		attempts := 0
		var e *api.Error
		if errors.As(err, &e) {
			attempts = e.Attempts
		}
		if !errors.Is(err, api.ErrServerError) || attempts != 1 || s.requests.Load() != 1 {
			t.Fatalf("err %v (attempts %d), %d requests; want the 503 after one attempt", err, attempts, s.requests.Load())
		}
	})
	t.Run("seekable, token rejected then refreshed", func(t *testing.T) {
		t.Parallel()
		us := &uploadServer{}
		s := newServer(t, us.handler(http.StatusOK))
		src := &refreshingSource{cur: "revoked-token", next: testToken}
		c := newClientTS(t, s, src)
		if _, err := c.File.Upload(t.Context(), api.FileUploadBody{File: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		if ups := us.uploads(); src.refreshes.Load() != 1 || s.requests.Load() != 2 || len(ups) != 1 || !bytes.Equal(ups[0].file, data) {
			t.Fatalf("refreshes %d, requests %d, uploads read %d; want 1, 2 and the whole file again", src.refreshes.Load(), s.requests.Load(), len(ups))
		}
	})
	t.Run("read once, token rejected", func(t *testing.T) {
		t.Parallel()
		us := &uploadServer{}
		s := newServer(t, us.handler(http.StatusOK))
		src := &refreshingSource{cur: "revoked-token", next: testToken}
		c := newClientTS(t, s, src)
		_, err := c.File.Upload(t.Context(), api.FileUploadBody{File: &onceReader{bytes.NewReader(data)}})
		if !errors.Is(err, api.ErrUnauthorized) || s.requests.Load() != 1 || src.refreshes.Load() != 0 {
			t.Fatalf("err %v, %d requests, %d refreshes; want the rejection, 1 request and no refresh spent", err, s.requests.Load(), src.refreshes.Load())
		}
	})
}

// TestUploadDoesNotReadAfterReturn checks that Upload leaves the caller's
// reader alone once it has returned, even when the server answered before
// reading the body.
func TestUploadDoesNotReadAfterReturn(t *testing.T) {
	t.Parallel()
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply(200, "application/json", `{"errno":0,"error":"success","total":0,"entities":[{}]}`).ServeHTTP(w, r)
	}))
	c := newClient(t, s)
	r := &countingReader{r: bytes.NewReader(content(8 << 20))}
	if _, err := c.File.Upload(t.Context(), api.FileUploadBody{File: r}); err != nil {
		t.Fatal(err)
	}
	after := r.reads.Load()
	time.Sleep(100 * time.Millisecond)
	if n := r.reads.Load(); n != after {
		t.Errorf("the reader was read %d more times after Upload returned", n-after)
	}
}

type countingReader struct {
	r     io.ReadSeeker
	reads atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.r.Read(p)
}

func (c *countingReader) Seek(off int64, whence int) (int64, error) { return c.r.Seek(off, whence) }
