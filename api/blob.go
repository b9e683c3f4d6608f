package api

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
)

// Blob is the reply of an operation that answers a file or an image
// instead of the JSON envelope (a file download, a thumbnail, a barcode).
type Blob struct {
	// ContentType is the reply's Content-Type, e.g. "image/png".
	ContentType string
	// Data is the body. It is bounded by the client's size cap
	// (WithMaxResponseSize), like every reply.
	Data []byte
}

// callRaw runs an operation whose successful reply is a file or an image. A
// 2xx reply that is not JSON is the Blob; a JSON reply is read as the
// envelope: a failure (errno != 0, or a non-2xx status) is an *Error as for
// any call, and a successful envelope is returned as the Blob it is.
//
// The request has no Accept header, which means that any media type is
// acceptable (RFC 9110, 12.5.1): the reply is the file, of whatever type
// it is, or the envelope of a failure. The spec's media type would say
// less than that: application/octet-stream for a download of any file
// would ask a server that negotiates for a type the file may not have, and
// every jAccount server answers these paths with the file or the envelope
// whatever the Accept. (Leaving it out also saves a header that costs a
// small call about 1.5% of its time on loopback: api/BENCHMARKS.md.)
func callRaw(ctx context.Context, c *core, method string, safety retrySafety, path, rawQuery string, rb *reqBody, opts []CallOption) (*Blob, error) {
	resp, b, st, err := send(ctx, c, method, safety, path, rawQuery, rb, true, opts)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data := b.buf.Bytes()
	ct := resp.Header.Get("Content-Type")
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if !ok2xx || isJSON(ct, data) {
		env := &envelope[json.RawMessage]{Errno: errnoMissing}
		err := decode(resp, data, env, st, resultNone)
		if st.set != nil {
			st.fill(resp, env.Total, env.NextToken)
		}
		if err != nil {
			return nil, err
		}
	} else if st.set != nil {
		st.fill(resp, 0, "")
	}
	if resp.ContentLength != int64(len(data)) {
		// A body of unannounced length grew in a pooled buffer: it is
		// copied out once, exactly.
		data = bytes.Clone(data)
	} else {
		// bufferTransport read it into a buffer of its announced size:
		// the caller gets that buffer, which leaves the pool.
		b.pooled = false
	}
	return &Blob{ContentType: ct, Data: data}, nil
}

// isJSON reports whether a reply is JSON: by its Content-Type, or, without
// one, by its first byte.
func isJSON(contentType string, data []byte) bool {
	if contentType == "" {
		d := bytes.TrimSpace(data)
		return len(d) > 0 && d[0] == '{'
	}
	// The media type, without parameters and in any case, as
	// mime.ParseMediaType would give it, without its allocations.
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, "application/json") || len(mt) > len("+json") && strings.EqualFold(mt[len(mt)-len("+json"):], "+json")
}
