module github.com/oauth-jaccount/jaccount-go/examples

go 1.25.0

// The examples always build against the SDK in this repository.
replace (
	github.com/oauth-jaccount/jaccount-go => ../
	github.com/oauth-jaccount/jaccount-go/auth/redisstore => ../auth/redisstore
)

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/oauth-jaccount/jaccount-go v0.0.0-00010101000000-000000000000
	github.com/oauth-jaccount/jaccount-go/auth/redisstore v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.22.0
	golang.org/x/oauth2 v0.36.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/gofrs/flock v0.13.1 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)
