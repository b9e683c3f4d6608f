// A stand-in for a user's module; see consumer.go. CI runs
// `go mod tidy -diff` here, so go.mod and go.sum always show what depending
// on jaccount-go pulls into a user's module graph, and any change to that
// arrives as a reviewed diff.
module example.com/consumer

go 1.25.0

replace github.com/oauth-jaccount/jaccount-go => ../..

require github.com/oauth-jaccount/jaccount-go v0.0.0-00010101000000-000000000000

require (
	github.com/gofrs/flock v0.13.1 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)
