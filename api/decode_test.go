package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// TestEnvelopeDecoding checks the call path's one-pass decoding of the
// envelope against what encoding/json makes of the same replies: member
// names of other case match, a value of the wrong type and malformed JSON
// fail with encoding/json's own error.
func TestEnvelopeDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		account    string // the profile's, on success
		errAs      any    // an error type the chain must hold
	}{
		{"exact", `{"errno":0,"error":"success","entities":[{"account":"a","x":1}]}`, "a", nil},
		{"other case", `{"ERRNO":0,"Entities":[{"account":"b"}],"eRROR":"ok"}`, "b", nil},
		{"unknown members", `{"errno":0,"x":{"y":[1,2]},"entities":[{"account":"c"}],"total":"1e3x"}`, "", new(*json.UnmarshalTypeError)},
		{"wrong type", `{"errno":0,"entities":[{"account":1}]}`, "", new(*json.UnmarshalTypeError)},
		{"errno as string", `{"errno":"0","entities":[{"account":"d"}]}`, "", new(*json.UnmarshalTypeError)},
		{"trailing data", `{"errno":0,"entities":[{"account":"e"}]} x`, "", new(*json.SyntaxError)},
		{"bad escape", `{"errno":0,"entities":[{"account":"\x"}]}`, "", new(*json.SyntaxError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, newServer(t, reply(200, "application/json", tt.body)))
			p, err := c.Profile.Get(t.Context())
			if tt.errAs == nil {
				if err != nil || p.Account != tt.account {
					t.Fatalf("got %+v, %v; want account %q", p, err, tt.account)
				}
				return
			}
			if !errors.As(err, tt.errAs) || !errors.Is(err, api.ErrInvalidResponse) {
				t.Fatalf("err = %v, want %T and ErrInvalidResponse in its chain", err, tt.errAs)
			}
		})
	}
}

// TestBlobKeepsItsBytes checks that a Blob's Data, handed over without a
// copy, is not a buffer that a later call reuses.
func TestBlobKeepsItsBytes(t *testing.T) {
	t.Parallel()
	n := 0
	c := newClient(t, newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(bytes.Repeat([]byte{byte(n)}, 1000*n))
	})))
	var blobs []*api.Blob
	for range 5 {
		b, err := c.File.GetThumbnail(t.Context(), "f", "10x10")
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
	}
	for i, b := range blobs {
		if want := bytes.Repeat([]byte{byte(i + 1)}, 1000*(i+1)); !bytes.Equal(b.Data, want) || b.ContentType != "image/png" {
			t.Errorf("blob %d changed: %d bytes starting %v", i, len(b.Data), b.Data[:min(len(b.Data), 4)])
		}
	}
}
