package redisstore

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// An encrypted token is stored as
//
//	"jgenc1:" + hex(key id) + ":" + base64(nonce || AES-GCM ciphertext)
//
// where the key id is the first 8 bytes of SHA-256(keyIDLabel || key): it
// names the key (so a token under a retired key gives a clear error) without
// revealing it. The additional data is aadLabel + the token key, so a
// ciphertext copied under another prefix does not decrypt.
const (
	encPrefix  = "jgenc1:"
	keyIDLabel = "jaccount-go redisstore key id\x00"
	aadLabel   = "jaccount-go redisstore token\x00"
	keyIDLen   = 8
)

// keyring holds the AEADs of the current key (first) and the older ones.
// A nil *keyring means no encryption.
type keyring struct {
	keys []aeadKey
}

type aeadKey struct {
	id   string // hex
	aead cipher.AEAD
}

func newKeyring(current []byte, previous [][]byte) (*keyring, error) {
	k := &keyring{}
	for i, key := range append([][]byte{current}, previous...) {
		switch len(key) {
		case 16, 24, 32:
		default:
			return nil, fmt.Errorf("key %d is %d bytes; AES needs 16, 24 or 32", i, len(key))
		}
		block, err := aes.NewCipher(bytes.Clone(key))
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(append([]byte(keyIDLabel), key...))
		k.keys = append(k.keys, aeadKey{id: hex.EncodeToString(sum[:keyIDLen]), aead: aead})
	}
	return k, nil
}

// describe says whether and how the store encrypts, for String and LogValue.
func (k *keyring) describe() string {
	if k == nil {
		return "no"
	}
	return fmt.Sprintf("AES-GCM, key %s (+%d older)", k.keys[0].id, len(k.keys)-1)
}

// seal encrypts plain under the current key, or returns it as is without
// keys.
func (k *keyring) seal(plain []byte, tokenKey string) (string, error) {
	if k == nil {
		return string(plain), nil
	}
	cur := k.keys[0]
	nonce := make([]byte, cur.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := cur.aead.Seal(nonce, nonce, plain, []byte(aadLabel+tokenKey))
	return encPrefix + cur.id + ":" + envelopeEncoding.EncodeToString(sealed), nil
}

// envelopeEncoding is unpadded standard base64, strict: the unused bits of
// the last character must be zero. Go's decoders skip \r and \n even in
// strict mode, so open refuses them first: an envelope has one spelling.
var envelopeEncoding = base64.RawStdEncoding.Strict()

// open reverses seal. Errors match ErrDecrypt and never show the data.
func (k *keyring) open(data []byte, tokenKey string) ([]byte, error) {
	enc := bytes.HasPrefix(data, []byte(encPrefix))
	switch {
	case k == nil && !enc:
		return data, nil
	case k == nil:
		return nil, fmt.Errorf("%w: it is encrypted and this store has no keys (WithEncryptionKeys)", ErrDecrypt)
	case !enc:
		return nil, fmt.Errorf("%w: it is not encrypted and this store requires encryption", ErrDecrypt)
	}
	id, b64, ok := bytes.Cut(data[len(encPrefix):], []byte(":"))
	if !ok {
		return nil, fmt.Errorf("%w: malformed envelope", ErrDecrypt)
	}
	for _, key := range k.keys {
		if key.id != string(id) {
			continue
		}
		sealed, err := envelopeEncoding.DecodeString(string(b64))
		if err != nil || bytes.ContainsAny(b64, "\r\n") || len(sealed) < key.aead.NonceSize() {
			return nil, fmt.Errorf("%w: malformed envelope", ErrDecrypt)
		}
		n := key.aead.NonceSize()
		plain, err := key.aead.Open(nil, sealed[:n], sealed[n:], []byte(aadLabel+tokenKey))
		if err != nil {
			return nil, fmt.Errorf("%w: authentication failed under key %s (tampered with, or stored under another key name)", ErrDecrypt, key.id)
		}
		return plain, nil
	}
	return nil, fmt.Errorf("%w: encrypted under key %q, which is not among this store's keys", ErrDecrypt, sanitizeID(id))
}

// sanitizeID shows at most 16 hex digits of an untrusted key id.
func sanitizeID(id []byte) string {
	if len(id) > 2*keyIDLen {
		id = id[:2*keyIDLen]
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "(malformed)"
		}
	}
	return string(id)
}
