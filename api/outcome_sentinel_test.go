package api_test

import "github.com/oauth-jaccount/jaccount-go/api"

// errOutcomeUnknown is api.ErrOutcomeUnknown. The tests that show the
// duplicate sends of issue 17 use it through this name, so that their file
// also builds against the code before the fix, where this one file defines
// a stand-in (that is how their failure before the fix was recorded).
var errOutcomeUnknown = api.ErrOutcomeUnknown

// errPagingLoop is api.ErrPagingLoop, for the same reason.
var errPagingLoop = api.ErrPagingLoop
