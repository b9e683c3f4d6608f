package jaccounttest

import (
	crand "crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"sync"
)

// WithSeed makes every random draw of the server come from one source
// seeded with seed: authorization codes, access and refresh tokens, login
// sessions, login-form tickets, the ids of uploaded files and the draws of
// faults with a Probability.
// A client that makes its requests one at a time then gets the same codes
// and tokens on every run, which lets a test compare them with a golden
// file. Requests made at the same time still get distinct values, in an
// order that depends on the scheduling.
//
// Seeded tokens are predictable: never let a seeded server be reached by
// anyone but the tests. Every seed, 0 included, is a seed; without WithSeed
// (the default) codes and tokens come from crypto/rand.
func WithSeed(seed uint64) Option {
	return optionFunc(func(cfg *config) error { cfg.seed = &seed; return nil })
}

// entropy is where a server's random draws come from: crypto/rand (and
// math/rand/v2's global source for probabilities), or one seeded ChaCha8
// source behind a mutex.
type entropy struct {
	mu     sync.Mutex
	seed   [32]byte
	seeded *rand.ChaCha8 // nil: not seeded
	rng    *rand.Rand    // over seeded
}

func newEntropy(seed *uint64) *entropy {
	e := &entropy{}
	if seed != nil {
		binary.LittleEndian.PutUint64(e.seed[:], *seed)
		e.seeded = rand.NewChaCha8(e.seed)
		e.rng = rand.New(e.seeded)
	}
	return e
}

// restart makes a seeded source draw again what it drew from the start.
func (e *entropy) restart() {
	if e.seeded == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seeded.Seed(e.seed)
}

// secret returns a fresh opaque string (32 base64url characters, 192 bits)
// for codes, tokens, session ids and tickets.
func (e *entropy) secret() string {
	b := make([]byte, 24)
	e.read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// read fills b with random bytes.
func (e *entropy) read(b []byte) {
	if e.seeded == nil {
		_, _ = crand.Read(b) // crypto/rand.Read never fails
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.seeded.Read(b) // ChaCha8.Read never fails
}

// uuid returns a fresh random (version 4) UUID, for the ids the fake gives
// out.
func (e *entropy) uuid() string {
	b := make([]byte, 16)
	e.read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// float64 returns a number in [0, 1).
func (e *entropy) float64() float64 {
	if e.seeded == nil {
		return rand.Float64()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rng.Float64()
}
