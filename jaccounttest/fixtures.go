package jaccounttest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/internal/wire"
)

// Credentials of the fixture data. They are public test values, not secrets.
const (
	// DefaultClientID is the client id of the application every Server
	// registers.
	DefaultClientID = "jaccounttest"
	// DefaultClientSecret is the 48-character secret of DefaultClientID.
	DefaultClientSecret = "jaccounttest-secret-0123456789abcdefghijklmnopqr"

	// StudentUsername is the jAccount username of the fixture student 张三.
	StudentUsername = "zhangsan"
	// StudentPassword is the password of StudentUsername.
	StudentPassword = "zhangsan-password"
	// FacultyUsername is the jAccount username of the fixture faculty member 李老师.
	FacultyUsername = "lilaoshi"
	// FacultyPassword is the password of FacultyUsername.
	FacultyPassword = "lilaoshi-password"
	// FreshmanUsername is a freshman (新生) whose default identity has the
	// user type freshman, and whose birthday is in the object form
	// {"birthYear":…,"birthMonth":…,"birthDay":…} some replies carry.
	FreshmanUsername = "xinsheng"
	// FreshmanPassword is the password of FreshmanUsername.
	FreshmanPassword = "xinsheng-password"
	// TeamUsername is a team account (集体账号): its profile has no id and no
	// identities.
	TeamUsername = "nic-team"
	// TeamPassword is the password of TeamUsername.
	TeamPassword = "nic-team-password"
	// OutsideUsername is an outside user (合作交流) whose organize and
	// topOrganize are {} and whose identities are [].
	OutsideUsername = "hezuo"
	// OutsidePassword is the password of OutsideUsername.
	OutsidePassword = "hezuo-password"

	// CurrentSemester is the semester the fixture data treats as current;
	// GET /v1/me/lessons serves it unless WithCurrentSemester says otherwise.
	CurrentSemester = "2026-2027-1"
	// PreviousSemester is the other semester with fixture lessons.
	PreviousSemester = "2025-2026-2"
)

// DefaultRedirectURIs are the redirect URIs registered for DefaultClientID.
// Their host is loopback without a port, so any port is accepted (RFC 8252
// section 7.3): http://127.0.0.1:8080/jaccount/auth matches.
var DefaultRedirectURIs = []string{
	"http://127.0.0.1/callback",
	"http://localhost/callback",
	"http://127.0.0.1/jaccount/auth",
	"http://localhost/jaccount/auth",
}

// Client is an application registered with the fake.
type Client struct {
	// ID is the client id (app id), e.g. "japortal000000".
	ID string
	// Secret is the client secret; it also keys the HS256 ID-token signature.
	Secret string
	// RedirectURIs are the registered redirect URIs. A redirect URI matches
	// when equal to one of them, or, for a registered loopback URI without
	// a port, when it differs only in the port.
	RedirectURIs []string
	// Scopes, when not empty, limits the scopes the client may request.
	Scopes []string
	// Jiaowoban marks the application as 交我办, the university's own app:
	// jAccount opens the 思源码 APIs but validation to 交我办 only (the
	// spec's x-jaccount-only-app). The fake refuses any other application
	// there with 403 and errno 10003 ENTITLE_FAILURE; the live errno is not
	// documented, so that is an assumption. A test acts as 交我办 by
	// registering its client so, e.g. the default one:
	//
	//	c := jaccounttest.DefaultClient()
	//	c.Jiaowoban = true
	//	srv := jaccounttest.New(t, jaccounttest.WithClient(c))
	Jiaowoban bool
}

// User is a fixture jAccount account with everything the API serves about it.
type User struct {
	// Username is the jAccount username (the ID token's sub, the profile's account).
	Username string
	// Password is what the login page accepts.
	Password string
	// Profile is the full profile; the API trims it to the scopes granted.
	Profile gen.Profile
	// Positions are served by GET /v1/enterprise/user/positions.
	Positions []gen.Position
	// Rights are served by GET /v1/enterprise/user/rights?account=Username,
	// and without account to the user's own token. A right's Parent is the
	// right it belongs under (evidence E2).
	Rights []gen.UserRight
	// Lessons maps a semester such as "2026-2027-1" to its teaching classes.
	Lessons map[string][]gen.Lesson
	// Examinations are served by GET /v1/me/examinations.
	Examinations []gen.Examination
	// Card is served by GET /v1/me/card (its User is filled from Profile).
	Card gen.CardInfo
	// Transactions are the card's transactions, oldest first (by
	// DateTime; the server sorts its copy if they are not). Their
	// DateTimeAccount (dateTimAccount) is served with orderBy=dateTimeAccount;
	// the fake orders by DateTime either way, so give posting times in the
	// same order.
	Transactions []gen.CardTransaction
	// UnicodeTransactions are the 思源码 payments, oldest first (by
	// OrderTime; the server sorts its copy if they are not).
	UnicodeTransactions []gen.UnicodeTransaction
	// Circles are served by GET /v1/me/circles, paged by token.
	Circles []gen.Circle
	// Consented are scopes the user has approved before, for every
	// application: an authorize request that asks for none but these (and
	// those approved in the login session) skips the consent page.
	Consented []string
}

// clone returns a deep enough copy of u that the server can own it.
func (u User) clone() *User {
	c := u
	c.Positions = slices.Clone(u.Positions)
	c.Rights = slices.Clone(u.Rights)
	c.Lessons = maps.Clone(u.Lessons)
	c.Examinations = slices.Clone(u.Examinations)
	// The transactions are served by binary search over their times, so
	// the server's copy is sorted, oldest first, once.
	c.Transactions = sortedClone(u.Transactions, func(t gen.CardTransaction) int64 { return t.DateTime })
	c.UnicodeTransactions = sortedClone(u.UnicodeTransactions, func(t gen.UnicodeTransaction) int64 { return t.OrderTime })
	c.Circles = slices.Clone(u.Circles)
	c.Consented = slices.Clone(u.Consented)
	c.Profile.Identities = slices.Clone(u.Profile.Identities)
	return &c
}

// sortedClone returns a copy of items sorted by at, oldest first; items at
// the same time keep their order.
func sortedClone[T any](items []T, at func(T) int64) []T {
	c := slices.Clone(items)
	byTime := func(a, b T) int { return cmp.Compare(at(a), at(b)) }
	if !slices.IsSortedFunc(c, byTime) {
		slices.SortStableFunc(c, byTime)
	}
	return c
}

// DefaultClient returns the application registered on every Server.
func DefaultClient() Client {
	return Client{ID: DefaultClientID, Secret: DefaultClientSecret, RedirectURIs: slices.Clone(DefaultRedirectURIs)}
}

// DefaultUsers returns fresh copies of the fixture accounts: the student
// StudentUsername, the faculty member FacultyUsername, and the shapes real
// replies take that the spec must survive: the freshman FreshmanUsername
// (birthday as an object), the team account TeamUsername (no id, no
// identities) and the outside user OutsideUsername (organize {}).
func DefaultUsers() []User {
	return []User{studentUser(), facultyUser(), freshmanUser(), teamUser(), outsideUser()}
}

var seiee = gen.Organize{Id: "03000", Name: "电子信息与电气工程学院"}
var mathSchool = gen.Organize{Id: "07000", Name: "数学科学学院"}

// cst is China Standard Time, the zone of the fixture calendar.
var cst = time.FixedZone("CST", 8*3600)

// epochMillis is a fixed instant in the fixture calendar, in epoch
// milliseconds (card transactions' dateTime).
func epochMillis(year int, month time.Month, day, hour, minute int) int64 {
	return time.Date(year, month, day, hour, minute, 0, 0, cst).UnixMilli()
}

// epochSeconds is a fixed instant in UNIX seconds (identities' createDate
// and updateDate, 思源码 orders' times).
func epochSeconds(year int, month time.Month, day, hour, minute int) int64 {
	return time.Date(year, month, day, hour, minute, 0, 0, cst).Unix()
}

func avatars(account string) gen.Avatars {
	base := "https://example.invalid/avatars/" + account
	return gen.Avatars{UriTiny: base + "-tiny.png", UriNormal: base + ".png", UriLarge: base + "-large.png"}
}

func birthday(year, month, day int) gen.Birthday {
	return wire.BirthdayFromMillis(time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).UnixMilli())
}

// person builds a full profile whose default identity is identity.
func person(id, account, name string, identity gen.Identity, gender gen.Gender, born gen.Birthday, mobile, cardNo, cardType string) gen.Profile {
	return gen.Profile{
		Id: id, Account: account, Name: name, Kind: "canvas.profile", Code: identity.Code, UserType: identity.UserType,
		Organize: identity.Organize, TopOrganize: identity.TopOrganize, ClassNo: identity.ClassNo,
		Avatars: avatars(account), Birthday: born, Gender: gender,
		Email: account + "@sjtu.edu.cn", TimeZone: 8, Mobile: mobile,
		Identities: []gen.Identity{identity}, CardNo: cardNo, CardType: cardType,
		UnionId: "u-" + account, AccountPhotoUrl: "https://example.invalid/photos/" + account + ".jpg",
	}
}

func studentUser() User {
	identity := gen.Identity{
		Kind: "nicman.identity", IsDefault: true, Code: "523030910001",
		UserType: gen.UserTypeStudent, UserTypeName: "学生",
		Organize: seiee, TopOrganize: seiee, TopOrganizes: []gen.Organize{seiee},
		Status: gen.IdentityStatusNormal, ExpireDate: "2027-07-31", ClassNo: "F2303001", Gjm: "156",
		CreateDate: epochSeconds(2023, 8, 20, 9, 0), UpdateDate: epochSeconds(2026, 9, 1, 9, 0),
		Major:         gen.Major{Id: "080901", Name: "计算机科学与技术"},
		AdmissionDate: "2023-09-01", TrainLevel: "本科", GraduateDate: "2027-06-30",
		Type: gen.IdentityType{Id: "student", Name: "学生"},
	}
	p := person("8d5b4f5e-3c1a-4d6e-9b2f-1a2b3c4d5e6f", StudentUsername, "张三", identity, gen.GenderMale,
		birthday(2005, 3, 14), "13800000001", "310101200503140011", "01")
	return User{
		Username: StudentUsername, Password: StudentPassword, Profile: p,
		Positions: []gen.Position{{
			Post: gen.Post{PostCode: "BuiltInStudent", PostName: "学生", Formal: true, BizTypes: []string{"student"}},
			Dept: gen.Dept{OrganizeId: seiee.Id, OrganizeName: seiee.Name, ParentOrganizeId: "00000"},
		}},
		Rights: []gen.UserRight{
			right("R1101", "library.borrow", "图书借阅", "借阅图书馆的图书", libraryRight()),
			right("R1201", "net.access", "校园网接入", "", networkRight()),
		},
		Lessons: map[string][]gen.Lesson{
			CurrentSemester: {
				lesson("(2026-2027-1)-CS2501-01", "CS2501", "操作系统", "陈老师", seiee, 64, 4, 1, 3, "东中院3-101"),
				lesson("(2026-2027-1)-MATH1207-02", "MATH1207", "概率统计", FacultyName, mathSchool, 48, 3, 3, 1, "东上院102"),
			},
			PreviousSemester: {
				lesson("(2025-2026-2)-CS2305-01", "CS2305", "计算机组成", "王老师", seiee, 64, 4, 2, 5, "东中院2-203"),
			},
		},
		Examinations: []gen.Examination{
			{"name": "操作系统期末考试", "courseCode": "CS2501", "semester": CurrentSemester,
				"startTime": epochMillis(2027, 1, 10, 8, 0), "endTime": epochMillis(2027, 1, 10, 10, 0),
				"location": "东上院201", "seat": "17"},
			{"name": "概率统计期末考试", "courseCode": "MATH1207", "semester": CurrentSemester,
				"startTime": epochMillis(2027, 1, 12, 13, 0), "endTime": epochMillis(2027, 1, 12, 15, 0),
				"location": "东上院305", "seat": "42"},
		},
		Card: gen.CardInfo{CardNo: "2023000001", CardId: "C2023000001", BankNo: "6222000000000001",
			ExpireDate: "20270731", CardBalance: 86.5, TransBalance: 0, FaceType: "学生", FaceSubType: "本科生"},
		Transactions:        transactions(45, epochMillis(2026, 9, 1, 7, 30), 500),
		UnicodeTransactions: unicodeTransactions(12, epochSeconds(2026, 9, 1, 11, 50), 1440),
		Circles: []gen.Circle{
			{Id: "100001", Name: "网络信息中心"}, {Id: "100002", Name: "学生会"}, {Id: "100003", Name: "计算机系 2023 级"},
			{Id: "100004", Name: "操作系统课程群"}, {Id: "100005", Name: "校园跑团"},
		},
	}
}

// right is a fixture right (a placeholder, as every fixture value) under
// parent (nil: a top one).
func right(id, code, name, description string, parent *gen.UserRight) gen.UserRight {
	return gen.UserRight{Id: id, Code: code, Name: name, Description: description, Parent: parent}
}

// The top rights of the fixtures; each call builds a fresh one, so that no
// two users (nor two servers) share a parent.
func libraryRight() *gen.UserRight  { r := right("R1100", "library", "图书馆", "", nil); return &r }
func networkRight() *gen.UserRight  { r := right("R1200", "net", "网络服务", "", nil); return &r }
func teachingRight() *gen.UserRight { r := right("R1000", "jwc", "教务", "", nil); return &r }

// gradesRight is a right two levels deep: under teachingRight.
func gradesRight() *gen.UserRight {
	r := right("R1300", "jwc.grade", "成绩管理", "", teachingRight())
	return &r
}

// FacultyName is the real name of FacultyUsername, the teacher of one of the
// student's lessons.
const FacultyName = "李老师"

func facultyUser() User {
	identity := gen.Identity{
		Kind: "nicman.identity", IsDefault: true, Code: "10086",
		UserType: gen.UserTypeFaculty, UserTypeName: "教职工",
		Organize: mathSchool, TopOrganize: mathSchool, TopOrganizes: []gen.Organize{mathSchool},
		MgtOrganize: mathSchool, TopMgtOrganize: mathSchool,
		Status: gen.IdentityStatusNormal, ExpireDate: "2040-12-31", Gjm: "156",
		CreateDate: epochSeconds(2010, 7, 1, 9, 0), UpdateDate: epochSeconds(2026, 3, 1, 9, 0),
		Type: gen.IdentityType{Id: "faculty", Name: "教职工"},
	}
	p := person("1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b", FacultyUsername, FacultyName, identity, gen.GenderFemale,
		birthday(1980, 11, 2), "13900000002", "310101198011020022", "01")
	return User{
		Username: FacultyUsername, Password: FacultyPassword, Profile: p,
		Positions: []gen.Position{
			{Post: gen.Post{PostCode: "Professor", PostName: "教授", Formal: true, BizTypes: []string{"teaching", "research"}},
				Dept: gen.Dept{OrganizeId: mathSchool.Id, OrganizeName: mathSchool.Name, ParentOrganizeId: "00000", Independent: true}},
			{Post: gen.Post{PostCode: "ViceDean", PostName: "副院长", Formal: true, BizTypes: []string{"management"}},
				Dept: gen.Dept{OrganizeId: mathSchool.Id, OrganizeName: mathSchool.Name, ParentOrganizeId: "00000", Independent: true}},
		},
		Rights: []gen.UserRight{
			right("R1302", "jwc.grade.entry", "成绩录入", "录入所授课程的成绩", gradesRight()),
			right("R1101", "library.borrow", "图书借阅", "借阅图书馆的图书", libraryRight()),
		},
		Lessons: map[string][]gen.Lesson{
			CurrentSemester: {
				lesson("(2026-2027-1)-MATH1207-02", "MATH1207", "概率统计", FacultyName, mathSchool, 48, 3, 3, 1, "东上院102"),
			},
			PreviousSemester: {
				lesson("(2025-2026-2)-MATH2701-01", "MATH2701", "实变函数", FacultyName, mathSchool, 48, 3, 4, 3, "数学楼201"),
			},
		},
		Examinations: []gen.Examination{},
		Card: gen.CardInfo{CardNo: "1998000086", CardId: "C1998000086", BankNo: "6222000000000086",
			ExpireDate: "20401231", CardBalance: 312.2, TransBalance: 20, FaceType: "教工", FaceSubType: "教工"},
		Transactions: transactions(6, epochMillis(2026, 9, 2, 11, 45), 1200),
		Circles:      []gen.Circle{{Id: "100001", Name: "网络信息中心"}},
	}
}

// freshmanUser is a freshman: a default identity of type freshman beside a
// student one, a birthday in the object form, an account expiry date, and
// seconds timestamps, as in the real reply of evidence F10.
func freshmanUser() User {
	freshman := gen.Identity{
		Kind: "nicman.identity", IsDefault: true, Code: "526031910007",
		UserType: gen.UserTypeFreshman, UserTypeName: "新生",
		Organize: seiee, TopOrganize: seiee, TopOrganizes: []gen.Organize{seiee},
		Status: gen.IdentityStatusNormal, ExpireDate: "2030-09-30",
		CreateDate: epochSeconds(2026, 8, 2, 10, 0), UpdateDate: epochSeconds(2026, 8, 20, 10, 0),
		AdmissionDate: "2026-08-02", TrainLevel: "新生", GraduateDate: "2030-06-30",
		Major: gen.Major{Id: "0806050037", Name: "信息工程"}, Type: gen.IdentityType{Id: "111", Name: "本科生(中国国籍)"},
		DefaultOptional: true,
	}
	student := freshman
	student.IsDefault, student.UserType, student.UserTypeName, student.TrainLevel = false, gen.UserTypeStudent, "学生", "本科生"
	p := person("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", FreshmanUsername, "王小明", freshman, gen.GenderMale,
		wire.BirthdayFromParts(wire.BirthdayParts{BirthYear: "2008", BirthMonth: "05", BirthDay: "06"}),
		"13700000003", "31010120080506001X", "01")
	p.Identities = append(p.Identities, student)
	p.AccountExpireDate = "2030-09-30"
	return User{Username: FreshmanUsername, Password: FreshmanPassword, Profile: p,
		Lessons: map[string][]gen.Lesson{}, Examinations: []gen.Examination{},
		Card: gen.CardInfo{CardNo: "2026000007", CardId: "C2026000007", ExpireDate: "20300930", CardBalance: 200}}
}

var nic = gen.Organize{Id: "11000", Name: "网络信息中心"}

// teamUser is a team account (集体账号): no id, no identities, code 11000,
// timeZone 0, as the Shuiyuan fixture of evidence F5.
func teamUser() User {
	p := gen.Profile{Account: TeamUsername, Name: "网络信息中心", Kind: "canvas.profile", Code: "11000",
		UserType: gen.UserTypeTeam, Organize: nic, TopOrganize: nic, Email: TeamUsername + "@sjtu.edu.cn"}
	p.AdditionalProperties = map[string]any{"timeZone": json.Number("0")} // sent, and 0
	return User{Username: TeamUsername, Password: TeamPassword, Profile: p, Lessons: map[string][]gen.Lesson{}}
}

// outsideUser is an outside user (合作交流) whose organize and topOrganize
// are {} and whose identities are [], as the Shuiyuan fixture of F5.
func outsideUser() User {
	p := gen.Profile{Id: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", Account: OutsideUsername, Name: "赵六",
		Kind: "canvas.profile", UserType: gen.UserTypeOutside, Identities: []gen.Identity{},
		Email: OutsideUsername + "@example.invalid"}
	// Sent as empty objects: kept, so that the profile encodes them.
	p.AdditionalProperties = map[string]any{"organize": map[string]any{}, "topOrganize": map[string]any{},
		"code": "", "timeZone": json.Number("0")}
	return User{Username: OutsideUsername, Password: OutsidePassword, Profile: p, Lessons: map[string][]gen.Lesson{}}
}

// unicodeTransactions builds n deterministic 思源码 payments, oldest first,
// every stepMinutes minutes from start (UNIX seconds); every fifth is
// unpaid (payTime 0).
func unicodeTransactions(n int, start int64, stepMinutes int64) []gen.UnicodeTransaction {
	out := make([]gen.UnicodeTransaction, 0, n)
	for i := range n {
		m := merchants[i%len(merchants)]
		at := start + int64(i)*stepMinutes*60
		t := gen.UnicodeTransaction{OrderNo: fmt.Sprintf("U%012d", i+1), OrderTime: at, PayTime: at + 3,
			Merchant: m.merchant, Amount: -float64(8 + i%9), Status: "SUCCESS", Channel: "UNICODE"}
		if i%5 == 4 {
			t.PayTime, t.Status = 0, "UNPAID"
		}
		out = append(out, t)
	}
	return out
}

func lesson(code, courseCode, name, teacher string, org gen.Organize, hours int, credits float64, day, period int, room string) gen.Lesson {
	return gen.Lesson{
		Id: "lesson-" + code, Name: name, Uri: "https://example.invalid/lessons/" + code, Kind: "sjtu.lesson",
		Bsid: "bsid-" + courseCode, Code: code,
		Course:   gen.Course{Id: "course-" + courseCode, Code: courseCode, Name: name, Kind: "sjtu.course"},
		Teachers: []gen.Teacher{{Name: teacher, Kind: "canvas.profile"}},
		Organize: org, Hours: hours, Credits: credits,
		Classes: []gen.LessonClass{{
			Schedule:  gen.Schedule{Kind: "sjtu.lesson.schedule", Week: 1, Day: day, Period: period, Start: period, Finish: period + 1},
			Classroom: gen.Classroom{Name: room, Kind: "sjtu.classroom"},
		}},
	}
}

var merchants = []struct{ system, merchant, description string }{
	{"餐饮", "第一餐饮大楼", "午餐"},
	{"餐饮", "第二餐饮大楼", "晚餐"},
	{"生活", "浴室", "淋浴"},
	{"购物", "教育超市", "日用品"},
	{"餐饮", "哈乐餐厅", "早餐"},
}

// transactions builds n deterministic card transactions, oldest first, every
// stepMinutes minutes from start (epoch ms), each posted a minute or two
// after it happened.
func transactions(n int, start int64, stepMinutes int64) []gen.CardTransaction {
	out := make([]gen.CardTransaction, 0, n)
	balance := 500.0
	for i := range n {
		m := merchants[i%len(merchants)]
		amount := -float64(5+(i*7)%23) - 0.5
		if i%10 == 9 {
			amount = 100 // a top-up every tenth transaction
			m = struct{ system, merchant, description string }{"充值", "圈存机", "银行卡圈存"}
		}
		balance += amount
		at := start + int64(i)*stepMinutes*60_000
		out = append(out, gen.CardTransaction{
			DateTime: at, System: m.system, Merchant: m.merchant,
			Description: fmt.Sprintf("%s #%d", m.description, i+1), Amount: amount, CardBalance: balance,
			// Posted to the account a minute or two later (dateTimAccount,
			// evidence E8); stepMinutes is far longer, so both orders agree.
			DateTimeAccount: at + int64(1+i%2)*60_000,
		})
	}
	return out
}
