package redisstore

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzOpen: whatever Redis holds, decoding it never panics, fails only with
// ErrDecrypt, and accepts only what was sealed under one of the keys for
// this token key.
func FuzzOpen(f *testing.F) {
	k, err := newKeyring(key32, [][]byte{key16})
	if err != nil {
		f.Fatal(err)
	}
	sealed, _ := k.seal([]byte(`{"access_token":"a"}`), "jaccount:token")
	for _, s := range []string{sealed, "", "jgenc1:", "jgenc1::", "jgenc1:0011223344556677:", `{"access_token":"a"}`,
		sealed[:len(sealed)-1], "jgenc1:" + k.keys[1].id + ":AAAA"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		plain, err := k.open(data, "jaccount:token")
		if err != nil {
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("error %v does not match ErrDecrypt", err)
			}
			return
		}
		// Only a genuine envelope opens: re-sealing is randomised, so check
		// that the input was an envelope under a known key id.
		if !bytes.HasPrefix(data, []byte(encPrefix+k.keys[0].id+":")) && !bytes.HasPrefix(data, []byte(encPrefix+k.keys[1].id+":")) {
			t.Fatalf("opened %q from a non-envelope", plain)
		}
		if _, err := k.open(data, "other:token"); err == nil {
			t.Fatal("an envelope opened under another token key")
		}
		// Only in its one spelling: the base64 is what its bytes encode to,
		// with nothing added (such as a line break).
		b64 := data[bytes.LastIndexByte(data, ':')+1:]
		if b, err := base64.RawStdEncoding.DecodeString(string(b64)); err != nil || base64.RawStdEncoding.EncodeToString(b) != string(b64) {
			t.Fatalf("opened %q, whose base64 is not canonical", data)
		}
	})
}
