package redisstore_test

import (
	"context"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore"
)

// A batch job whose workers, on any number of machines, share one token
// kept in Redis. A login saved the token into the store once
// (store.Save); each worker starts from the stored token.
func Example() {
	opt, err := redis.ParseURL("redis://redis.internal:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	store, err := redisstore.New(redis.NewClient(opt), redisstore.WithKeyPrefix("jaccount:lessons-job:"))
	if err != nil {
		log.Fatal(err)
	}
	cfg := &auth.Config{ClientID: "my-client-id", ClientSecret: "my-client-secret"}
	ts, err := cfg.TokenSource(nil, auth.WithStore(store))
	if err != nil {
		log.Fatal(err)
	}
	client, err := api.NewClient(ts)
	if err != nil {
		log.Fatal(err)
	}
	lesson, err := client.Lessons.Get(context.Background(), "bsid-CS2501")
	if err != nil {
		log.Fatal(err)
	}
	log.Println(lesson.Name)
}

// Rotating the encryption key: the new key encrypts, the old one is still
// accepted for reading until the next save re-encrypts the token.
func ExampleWithEncryptionKeys() {
	var newKey, oldKey [32]byte // from your secret manager
	store, err := redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}),
		redisstore.WithEncryptionKeys(newKey[:], oldKey[:]))
	if err != nil {
		log.Fatal(err)
	}
	_ = store
}
