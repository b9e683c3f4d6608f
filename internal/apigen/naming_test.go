package apigen

import (
	"slices"
	"testing"
)

func TestSplitWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"listMyCardTransactions", []string{"list", "My", "Card", "Transactions"}},
		{"getURLInfo", []string{"get", "URL", "Info"}},
		{"getGPA", []string{"get", "GPA"}},
		{"getV2Task", []string{"get", "V2", "Task"}},
		{"card_transactions", []string{"card", "transactions"}},
		{"data-resource", []string{"data", "resource"}},
		{"a", []string{"a"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := SplitWords(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMethodName is the naming rule of docs/api.md, on the spec's operations and
// on the shapes of the documented API that the spec does not have yet.
func TestMethodName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, tag, want string
	}{
		{"getMyProfile", "profile", "Get"},
		{"getUserPositions", "enterprise", "GetUserPositions"},
		{"getUserRights", "enterprise", "GetUserRights"},
		{"listMyLessons", "lessons", "List"},
		{"listMyLessonsBySemester", "lessons", "ListBySemester"},
		{"getLesson", "lessons", "Get"},
		{"listMyExaminations", "examinations", "List"},
		{"getMyCard", "card", "Get"},
		{"listMyCardTransactions", "card", "ListTransactions"},
		// Shapes of the rest of the documented API.
		{"getProfileById", "profile", "GetByID"},
		{"listMyCircles", "circles", "List"},
		{"getMyGpa", "education", "GetGPA"},
		{"listMyUnicodeTransactions", "unicode", "ListTransactions"},
		{"createCalendarEvent", "calendar", "CreateEvent"},
		{"deleteCalendarEvent", "calendar", "DeleteEvent"},
		{"listCategories", "category", "List"},                 // plural -ies
		{"getQrBarcode", "barcode", "GetQR"},                   // an initialism in capitals
		{"listStudentProfiles", "student", "ListProfiles"},     // the tag's word, first run only
		{"getStudentStudentInfo", "student", "GetStudentInfo"}, // first run only
		{"sendTaskMessage", "task", "SendMessage"},
		{"putMyCard", "card", "Put"},
		{"getUserID", "enterprise", "GetUserID"},
		{"getUserId", "enterprise", "GetUserID"},
		{"getDataResourceInfo", "data-resource", "GetInfo"}, // a two-word tag
	}
	for _, tt := range tests {
		_, _, got, err := MethodName(tt.id, tt.tag)
		if err != nil || got != tt.want {
			t.Errorf("MethodName(%q, %q) = %q, %v; want %q", tt.id, tt.tag, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "GetProfile", "_get"} {
		if _, _, name, err := MethodName(bad, "x"); err == nil {
			t.Errorf("MethodName(%q) = %q, want an error", bad, name)
		}
	}
}

func TestGoNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"cardNo": "CardNo", "userId": "UserID", "photoUrl": "PhotoURL", "accountPhotoUrl": "AccountPhotoURL",
		"card_info": "CardInfo", "openid": "OpenID", "nextToken": "NextToken",
	} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Account": "account", "CardNo": "cardNo", "Type": "typeArg", "Ctx": "ctxArg", "Body": "bodyArg",
		"UserID": "userID", "Range": "rangeArg", "Len": "lenArg",
	} {
		if got := ArgName(in); got != want {
			t.Errorf("ArgName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"ACCESS_TOKEN_EXPIRED": "AccessTokenExpired", "BAD_PARAMETERS": "BadParameters", "TASK_EXIST": "TaskExist",
	} {
		if got := ConstName(in); got != want {
			t.Errorf("ConstName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestThirdPerson(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Get the signed-in user's profile", "gets the signed-in user's profile"},
		{"List one's lessons", "lists one's lessons"},
		{"Query a card", "queries a card"},
		{"Search users", "searches users"},
		{"Pay", "pays"},
		{"Delete", "deletes"},
	}
	for _, tt := range tests {
		if got, ok := ThirdPerson(tt.in); !ok || got != tt.want {
			t.Errorf("ThirdPerson(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := ThirdPerson("The profile"); ok {
		t.Error("ThirdPerson took The for a verb")
	}
}
