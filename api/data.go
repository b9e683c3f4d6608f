package api

import (
	"fmt"
	"maps"
	"strings"
	"time"
)

// The data resources (数据资源, https://developer.sjtu.edu.cn/graphql/overview.html)
// are jAccount's server-to-server data exchange on their own server,
// https://graphql.sjtu.edu.cn (DefaultDataBaseURL), reachable from the campus
// network or the VPN only. DataClient (client.gen.go, generated from the
// operations whose path declares that server) calls them; a token comes from
// the client-credentials grant with scope exchange_data:
//
//	ts, err := cfg.ClientCredentialsSource(api.ScopeStrings(api.ScopeExchangeData))
//	dc, err := api.NewDataClient(ts)
//	for s, err := range dc.Students.ListIter(ctx, api.StudentsListParams{UpdatedSince: since}) { … }
//
// They page with first (the 1-based position of a page's first record) and
// offset (the page size, at most 200); the ListIter methods walk the pages.
// A timestamp parameter (UpdatedSince) keeps the records updated at or after
// it, for incremental sync jobs (examples/batch -sync students).

// withServerURL sets the base URL of the client type client (DataClient):
// the generated With<Prefix>BaseURL options. Empty means the client's
// default.
func withServerURL(client, u string) Option {
	return optionFunc(func(s *settings) error {
		// A new map each time: settings are copied (WithTokenSource), never
		// the map they point to.
		m := map[string]string{}
		if s.serverURLs != nil {
			maps.Copy(m, *s.serverURLs)
		}
		if u == "" {
			delete(m, client)
		} else {
			m[client] = u
		}
		s.serverURLs = &m
		return nil
	})
}

// DataTimeLayout is how the data resources write an instant, as in a
// record's timestamp ("2022-08-19 00:00:00"), in China Standard Time.
const DataTimeLayout = time.DateTime

// ParseDataTime reads an instant as the data resources write it:
// "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-dd" (midnight), in China Standard Time
// (UTC+8; the documentation names no zone, and that is the campus's), such as
// a DataAccount's Timestamp.
func ParseDataTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layout := DataTimeLayout
	if len(s) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	t, err := time.ParseInLocation(layout, s, chinaTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("jaccount api: %q is not a data-resource time (yyyy-MM-dd[ HH:mm:ss]): %w", s, err)
	}
	return t, nil
}

// FormatDataTime writes t as the data resources' timestamp parameter does:
// "yyyy-MM-dd HH:mm:ss" in China Standard Time.
func FormatDataTime(t time.Time) string { return formatTime(t, timeDateTime) }
