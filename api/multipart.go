package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strconv"
	"sync"
	"sync/atomic"
)

// multipartForm builds the multipart/form-data body of a generated method:
// its scalar fields, then its file parts, which the body streams from the
// caller's readers rather than buffering them.
type multipartForm struct {
	method string // e.g. "File.Upload", for errors
	fields []formField
	files  []formFile
	err    error
}

type formField struct{ name, value string }

type formFile struct {
	name, filename, contentType string
	r                           io.Reader
}

// field adds the field name with the value v (a string, an integer, a
// float64, a bool or a *bool) when send is true.
func (f *multipartForm) field(name string, v any, send bool) {
	if !send {
		return
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	case *bool:
		s = strconv.FormatBool(*x)
	default:
		s = fmt.Sprint(x)
	}
	f.fields = append(f.fields, formField{name, s})
}

// file adds a file part read from r, named filename (the part's name when
// empty), of type contentType (def when empty). A nil r is left out, or
// fails the call when the part is required.
func (f *multipartForm) file(name string, r io.Reader, filename, contentType, def string, required bool) {
	if r == nil {
		if required && f.err == nil {
			f.err = fmt.Errorf("jaccount api: %s: no %s (a nil reader): %w", f.method, name, ErrInvalidArgument)
		}
		return
	}
	if filename == "" {
		filename = name
	}
	if contentType == "" {
		contentType = def
	}
	f.files = append(f.files, formFile{name: name, filename: filename, contentType: contentType, r: r})
}

// body encodes the form: the bytes around the files are written now, the
// files are read as the body is sent.
func (f *multipartForm) body() (*reqBody, error) {
	if f.err != nil {
		return nil, f.err
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	sb := &streamBody{length: 0, replayable: true}
	for _, fd := range f.fields {
		if err := w.WriteField(fd.name, fd.value); err != nil {
			return nil, fmt.Errorf("jaccount api: %s: field %s: %w", f.method, fd.name, err)
		}
	}
	for _, fl := range f.files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", multipart.FileContentDisposition(fl.name, fl.filename))
		h.Set("Content-Type", fl.contentType)
		if _, err := w.CreatePart(h); err != nil {
			return nil, fmt.Errorf("jaccount api: %s: part %s: %w", f.method, fl.name, err)
		}
		sb.add(bytes.Clone(buf.Bytes()))
		buf.Reset()
		src, err := newFileSource(fl.r)
		if err != nil {
			return nil, fmt.Errorf("jaccount api: %s: part %s: %w", f.method, fl.name, err)
		}
		sb.segments = append(sb.segments, segment{src: src})
		if src.seeker == nil {
			sb.replayable = false
		}
		if src.size < 0 || sb.length < 0 {
			sb.length = -1
		} else {
			sb.length += src.size
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("jaccount api: %s: %w", f.method, err)
	}
	sb.add(bytes.Clone(buf.Bytes()))
	return &reqBody{contentType: w.FormDataContentType(), stream: sb}, nil
}

// fileSource is a file part's reader with what is known of it.
type fileSource struct {
	r      io.Reader
	seeker io.Seeker // nil when r cannot be rewound
	start  int64     // r's position when the call began
	size   int64     // the bytes to send, -1 when unknown
}

// newFileSource looks at r: an io.Seeker is rewound to its position for
// every attempt and sends the bytes up to its end then; a reader with a Len
// method (a *bytes.Buffer) sends Len bytes, once; any other, once, up to
// its EOF.
func newFileSource(r io.Reader) (*fileSource, error) {
	src := &fileSource{r: r, size: -1}
	if s, ok := r.(io.Seeker); ok {
		start, err := s.Seek(0, io.SeekCurrent)
		if err == nil {
			end, err := s.Seek(0, io.SeekEnd)
			if err != nil {
				return nil, err
			}
			if _, err := s.Seek(start, io.SeekStart); err != nil {
				return nil, err
			}
			src.seeker, src.start, src.size = s, start, max(end-start, 0)
			return src, nil
		}
		// A pipe or a terminal: not seekable after all.
	}
	if l, ok := r.(interface{ Len() int }); ok {
		src.size = int64(l.Len())
	}
	return src, nil
}

// segment is a part of a streamed body: bytes, or a file.
type segment struct {
	data []byte
	src  *fileSource
}

// streamBody is a request body read from the caller's readers as it is
// sent. Each attempt opens a new reader (a generation); opening one
// retires the previous, whose next Read fails, so that two attempts never
// read the same file at once. A body whose files are all io.Seekers is
// replayable: each generation rewinds them. Any other can be opened again
// only until a file was read from.
type streamBody struct {
	segments   []segment
	length     int64 // total bytes, -1 when unknown (sent chunked)
	replayable bool

	gen      atomic.Int64 // the generation allowed to read; -1 when the call is over
	consumed atomic.Bool  // a file that cannot be rewound was read from
	mu       sync.Mutex   // held during every read of a file
}

func (b *streamBody) add(data []byte) {
	if len(data) == 0 {
		return
	}
	b.segments = append(b.segments, segment{data: data})
	if b.length >= 0 {
		b.length += int64(len(data))
	}
}

// errBodyNotReplayable fails an attempt to send a body again whose files
// were read from and cannot be rewound.
var errBodyNotReplayable = errors.New("jaccount api: the request body cannot be sent again: a file part was read and is not an io.Seeker")

// errBodyRetired fails a read of an attempt's body after another attempt
// began, or after the call returned.
var errBodyRetired = errors.New("jaccount api: request body of a finished attempt")

// canResend reports whether the body can be sent again.
func (b *streamBody) canResend() bool { return b.replayable || !b.consumed.Load() }

// open returns the body of a new attempt.
func (b *streamBody) open() (io.ReadCloser, error) {
	if !b.canResend() {
		return nil, errBodyNotReplayable
	}
	g := b.gen.Add(1)
	if g <= 0 { // the call is over
		return nil, errBodyRetired
	}
	return &streamReader{b: b, gen: g}, nil
}

// finish retires every reader: once the call has returned, the caller's
// files are not read any more (a read under way completes).
func (b *streamBody) finish() { b.gen.Store(-1 << 62) }

// streamReader is one attempt's body.
type streamReader struct {
	b    *streamBody
	gen  int64
	seg  int   // the current segment
	off  int64 // bytes of it done
	seek bool  // the current file segment was rewound for this attempt
}

func (r *streamReader) Read(p []byte) (int, error) {
	for r.seg < len(r.b.segments) {
		s := r.b.segments[r.seg]
		if s.src == nil {
			if r.gen != r.b.gen.Load() {
				return 0, errBodyRetired
			}
			n := copy(p, s.data[r.off:])
			r.off += int64(n)
			if r.off == int64(len(s.data)) {
				r.seg, r.off = r.seg+1, 0
			}
			return n, nil
		}
		n, done, err := r.readFile(s.src, p)
		if done {
			r.seg, r.off, r.seek = r.seg+1, 0, false
		}
		if n > 0 || err != nil || !done {
			return n, err
		}
	}
	return 0, io.EOF
}

// readFile reads the file src into p, under the body's lock, for the
// attempt's generation only; done reports its end.
func (r *streamReader) readFile(src *fileSource, p []byte) (n int, done bool, err error) {
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.gen != b.gen.Load() {
		return 0, false, errBodyRetired
	}
	if src.size >= 0 {
		left := src.size - r.off
		if left == 0 {
			return 0, true, nil
		}
		p = p[:min(int64(len(p)), left)]
	}
	if src.seeker != nil && !r.seek {
		if _, err := src.seeker.Seek(src.start+r.off, io.SeekStart); err != nil {
			return 0, false, err
		}
		r.seek = true
	}
	if src.seeker == nil {
		b.consumed.Store(true)
	}
	n, err = src.r.Read(p)
	r.off += int64(n)
	switch {
	case err == io.EOF:
		if src.size >= 0 && r.off < src.size {
			return n, false, io.ErrUnexpectedEOF
		}
		return n, true, nil
	case err != nil:
		return n, false, err
	}
	return n, src.size >= 0 && r.off == src.size, nil
}

// Close does not close the caller's readers.
func (r *streamReader) Close() error { return nil }
