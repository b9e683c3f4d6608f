package jaccounttest

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// form is what the fake read of a multipart/form-data body: the fields'
// values and, for each file part, its file name, media type and size. The
// files are read as they arrive and counted, not kept.
type form struct {
	fields map[string]string
	files  map[string]formFile
}

// formFile is one file part as the fake read it: its SHA-1 is what the
// upload's reply carries as sha1Hash (evidence E7).
type formFile struct {
	filename, mediaType, sha1 string
	size                      int64
}

// maxFormField bounds a field's value.
const maxFormField = 64 << 10

// readForm reads the multipart/form-data body of a request to op, part by
// part, as a servlet container would: a part with a file name is a file, any
// other a field. It checks the body against op's parts (the required ones
// present, a file part a file, the fields of their types); a failure is 400
// BAD_PARAMETERS with the detail.
func readForm(op *operation, r *http.Request) (*form, *reply) {
	bad := func(detail string) (*form, *reply) {
		rep := fail(http.StatusBadRequest, errnoBadParameters, detail)
		return nil, &rep
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return bad("the body must be multipart/form-data")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return bad("the body must be multipart/form-data: " + err.Error())
	}
	f := &form{fields: map[string]string{}, files: map[string]formFile{}}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad("malformed multipart body")
		}
		name := p.FormName()
		if p.FileName() != "" {
			h := sha1.New()
			n, err := io.Copy(h, p)
			if err != nil {
				return bad("malformed multipart body: part " + name)
			}
			mt, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if err != nil || mt == "" {
				mt = "application/octet-stream"
			}
			f.files[name] = formFile{filename: p.FileName(), mediaType: mt, size: n, sha1: hex.EncodeToString(h.Sum(nil))}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(p, maxFormField+1))
		if err != nil || len(v) > maxFormField {
			return bad("field " + name + " is too long or malformed")
		}
		f.fields[name] = string(v)
	}
	for _, part := range op.form {
		_, isFile := f.files[part.name]
		v, isField := f.fields[part.name]
		switch {
		case part.kind == "file" && part.required && !isFile:
			return bad(part.name + " is required (a file part, with a file name)")
		case part.kind != "file" && part.required && !isField:
			return bad(part.name + " is required")
		case !isField || part.kind == "file" || part.kind == "string":
		case part.kind == "bool":
			if _, err := strconv.ParseBool(v); err != nil || (v != "true" && v != "false") {
				return bad(part.name + " must be true or false")
			}
		case part.kind == "float64":
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return bad(part.name + " must be a number")
			}
		default: // int, int64
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return bad(part.name + " must be an integer")
			}
		}
	}
	return f, nil
}

// uploadFile stores nothing but answers as file.html says the upload does,
// after checking the form: the File structure of the file part, its media
// type and size, with the members a vendor's client reads from the reply
// (evidence E7): a fresh id, the file name, the uri under the fake's API
// and the SHA-1 of the content. The reply's kind, createTime and
// lastModified are left out: the evidence shows neither kind's values nor
// the times' unit, and the fake does not guess them.
func (s *Server) uploadFile(r *http.Request, _ *principal) reply {
	op := operationByID("uploadFile")
	f, bad := readForm(op, r)
	if bad != nil {
		return *bad
	}
	file := f.files["file"]
	id := newUUID()
	return ok([]gen.FileInfo{{Id: id, Name: file.filename, Uri: s.APIURL() + "/v1/file/" + id, Mime: file.mediaType,
		Size: file.size, Sha1Hash: file.sha1}}, 1)
}
