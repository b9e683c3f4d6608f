package jaccounttest_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// formPart is one part of a multipart body a test builds.
type formPart struct {
	name, filename, contentType, value string
}

// multipartBody encodes parts as multipart/form-data.
func multipartBody(t *testing.T, parts ...formPart) (contentType string, body []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", multipart.FileContentDisposition(p.name, p.filename))
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"`)
		}
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write([]byte(p.value))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.Bytes()
}

// TestUploadMultipart checks the fake's upload against file.html: a
// multipart/form-data body with a file part and the optional secure field,
// answered with the File structure (mime and size); anything else is 400
// BAD_PARAMETERS.
func TestUploadMultipart(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok, err := srv.IssueClientToken("storage")
	if err != nil {
		t.Fatal(err)
	}
	put := func(contentType string, body []byte) reply {
		req, err := http.NewRequestWithContext(testContext(t), http.MethodPut, srv.APIURL()+"/v1/file", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		return do(t, srv.HTTPClient(), req)
	}
	file := strings.Repeat("文件内容", 1000)
	for _, tt := range []struct {
		name   string
		parts  []formPart
		mime   string
		status int
		detail string
	}{
		{"file and secure", []formPart{{name: "secure", value: "true"}, {name: "file", filename: "报告.txt", contentType: "text/plain; charset=utf-8", value: file}}, "text/plain", 200, ""},
		{"file only, no type", []formPart{{name: "file", filename: "a.bin", value: file}}, "application/octet-stream", 200, ""},
		{"file first", []formPart{{name: "file", filename: "a.bin", contentType: "application/pdf", value: file}, {name: "secure", value: "false"}}, "application/pdf", 200, ""},
		{"no file part", []formPart{{name: "secure", value: "true"}}, "", 400, "file is required"},
		{"file without a file name", []formPart{{name: "file", value: file}}, "", 400, "file is required"},
		{"bad secure", []formPart{{name: "secure", value: "maybe"}, {name: "file", filename: "a.bin", value: file}}, "", 400, "secure"},
	} {
		ct, body := multipartBody(t, tt.parts...)
		r := put(ct, body)
		if r.status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.body, tt.status)
			continue
		}
		if tt.status != 200 {
			if errno(r) != 10001 || !strings.Contains(r.str("error"), tt.detail) {
				t.Errorf("%s: %s, want errno 10001 saying %q", tt.name, r.body, tt.detail)
			}
			continue
		}
		var env struct{ Entities []gen.FileInfo }
		if err := json.Unmarshal([]byte(r.body), &env); err != nil || len(env.Entities) != 1 ||
			env.Entities[0].Mime != tt.mime || env.Entities[0].Size != int64(len(file)) {
			t.Errorf("%s: %s, want one File with mime %q and size %d", tt.name, r.body, tt.mime, len(file))
			continue
		}
		// The members a vendor's client reads from the reply (evidence E7);
		// not the times, whose unit the evidence does not show.
		fi := env.Entities[0]
		sum := sha1.Sum([]byte(file))
		if len(fi.Id) != 36 || fi.Name != tt.parts[len(tt.parts)-1].filename && fi.Name != tt.parts[0].filename ||
			fi.Uri != srv.APIURL()+"/v1/file/"+fi.Id || fi.Sha1Hash != hex.EncodeToString(sum[:]) || fi.CreateTime != 0 {
			t.Errorf("%s: %+v, want the id, the file name, the uri and the SHA-1 of the content", tt.name, fi)
		}
	}
	// The upload of the old spec, the bytes as the body, is not what the page describes.
	if r := put("application/octet-stream", []byte(file)); r.status != 400 || errno(r) != 10001 || !strings.Contains(r.str("error"), "multipart/form-data") {
		t.Errorf("an application/octet-stream body: %d %s, want 400 errno 10001 asking for multipart/form-data", r.status, r.body)
	}
}
