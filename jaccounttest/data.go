package jaccounttest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// The data resources (数据资源, https://graphql.sjtu.edu.cn/v1 on the real
// jAccount) are served on a listener of their own (Server.DataURL): the
// student, faculty, account and paper records of the fixtures, paged with
// first and offset as the documentation says (first=1&offset=100, then
// first=101&offset=100; offset at most 200), filtered by the documented
// query parameters and by timestamp (records updated at or after it), for
// client-credentials tokens with scope exchange_data only.

// dataServer is the key of the data resources' server in the generated
// route table (x-jaccount-client DataClient).
const dataServer = "data"

// The data operations, by operationId.
const (
	opStudents = "listStudents"
	opFaculty  = "listFaculty"
	opAccounts = "listAccounts"
	opPapers   = "listPapers"
)

// dataFilters are the query parameters of each data operation that select
// records (first, offset and timestamp aside). A record matches a
// parameter when the member of that name, or else its DataRecord
// Attributes entry, equals the value.
var dataFilters = map[string][]string{
	opStudents: {"accountNo", "xh", "glyx", "lxbj"},
	opFaculty:  {"accountNo", "gh", "topOrganizeId", "organizeId"},
	opAccounts: {"accountNo", "userId", "displayName", "topOrganizeId", "cardNo", "userStyle", "accountStatus"},
	opPapers:   {"userId"},
}

func init() {
	for op := range dataFilters {
		handlers[op] = dataHandler(op)
	}
}

// DataMaxPageSize is the largest offset (page size) the data resources
// accept; a larger one gets 400 with errno 10001.
const DataMaxPageSize = 200

// DataDefaultPageSize is the page size when a request has no offset. The
// documentation gives none; the fake uses its example's 100.
const DataDefaultPageSize = 100

// DataRecord is a record of the fake's data resources with its update time,
// for WithStudents, WithFaculty and WithAccounts.
type DataRecord[T any] struct {
	// Entity is the record as the API serves it.
	Entity T
	// Updated is when the record last changed: a request's timestamp keeps
	// the records with Updated at or after it. The Update methods set it to
	// the server's clock.
	Updated time.Time
	// Attributes are values the filters match that the documented record
	// does not carry, by query parameter: a student's glyx (管理院系代码)
	// and lxbj (离校标记, N or Y).
	Attributes map[string]string
}

// dataConfig is what the data options configure; nil slices mean the
// defaults.
type dataConfig struct {
	students []DataRecord[gen.DataStudent]
	faculty  []DataRecord[gen.DataFaculty]
	accounts []DataRecord[gen.DataAccount]
	papers   []paperRecord
}

type paperRecord struct {
	userID string
	paper  gen.DataPaper
}

// WithStudents replaces the data resources' student records
// (DefaultStudents) with records; none keeps them.
func WithStudents(records ...DataRecord[gen.DataStudent]) Option {
	return optionFunc(func(cfg *config) error {
		if len(records) > 0 {
			cfg.data.students = slices.Clone(records)
		}
		return nil
	})
}

// WithFaculty replaces the data resources' faculty records (DefaultFaculty)
// with records; none keeps them.
func WithFaculty(records ...DataRecord[gen.DataFaculty]) Option {
	return optionFunc(func(cfg *config) error {
		if len(records) > 0 {
			cfg.data.faculty = slices.Clone(records)
		}
		return nil
	})
}

// WithAccounts replaces the data resources' account records
// (DefaultAccounts) with records; none keeps them. An account without a
// Timestamp is served with its Updated time there, as the documentation's
// example carries one.
func WithAccounts(records ...DataRecord[gen.DataAccount]) Option {
	return optionFunc(func(cfg *config) error {
		if len(records) > 0 {
			cfg.data.accounts = slices.Clone(records)
		}
		return nil
	})
}

// WithPapers adds paper records of the author userID (学工号). The
// documentation shows no paper record, so the fake has none by default and
// serves these as they are. An empty userID is invalid.
func WithPapers(userID string, papers ...gen.DataPaper) Option {
	return optionFunc(func(cfg *config) error {
		if userID == "" {
			return fmt.Errorf("%w: WithPapers: empty userID", ErrInvalidOption)
		}
		for _, p := range papers {
			cfg.data.papers = append(cfg.data.papers, paperRecord{userID, p})
		}
		return nil
	})
}

// chinaTime is the zone of the data resources' times (UTC+8).
var chinaTime = time.FixedZone("CST", 8*3600)

// DataFixtureTime is when the fixture records were last updated, at the
// earliest: record i of DefaultStudents at DataFixtureTime + i×10 minutes,
// of DefaultFaculty at + i hours.
var DataFixtureTime = time.Date(2026, 9, 1, 8, 0, 0, 0, chinaTime)

// The sizes of the default data fixtures.
const (
	// DefaultStudentCount students (StudentUsername among them): more than
	// one page of 100 or 200.
	DefaultStudentCount = 250
	// DefaultFacultyCount faculty members (FacultyUsername among them).
	DefaultFacultyCount = 40
)

var (
	surnames   = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"}
	givenNames = []string{"伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟"}
)

// DefaultStudents returns the data resources' student records: the fixture
// student StudentUsername (张三) and synthetic students stu0001 onwards,
// DefaultStudentCount in all, sorted by accountNo. Their fields are the
// documented ones only.
func DefaultStudents() []DataRecord[gen.DataStudent] {
	out := make([]DataRecord[gen.DataStudent], 0, DefaultStudentCount)
	for i := range DefaultStudentCount {
		account, name, xh := fmt.Sprintf("stu%04d", i), surnames[i%len(surnames)]+givenNames[i%len(givenNames)], fmt.Sprintf("5230309%05d", 100+i)
		if i == 0 {
			account, name, xh = StudentUsername, "张三", "523030910001"
		}
		gender, genderName := "1", "男"
		if i%2 == 1 {
			gender, genderName = "2", "女"
		}
		school, left := seiee.Id, "N"
		if i%3 == 2 {
			school = mathSchool.Id
		}
		if i%10 == 9 {
			left = "Y"
		}
		out = append(out, DataRecord[gen.DataStudent]{
			Entity: gen.DataStudent{
				AccountNo: account, Xh: xh, Xm: name, Xbdm: gender, Xbmc: genderName,
				Csrq: time.Date(2005, 1, 1, 0, 0, 0, 0, chinaTime).AddDate(0, 0, i*3).Format(time.DateOnly),
				Mzdm: "01", Mzmc: "汉族", Gbdm: "156", Gbmc: "中国", Zjlb: "1", Zjlbmc: "居民身份证",
				Email: account + "@sjtu.edu.cn",
			},
			Updated:    DataFixtureTime.Add(time.Duration(i) * 10 * time.Minute),
			Attributes: map[string]string{"glyx": school, "lxbj": left},
		})
	}
	slices.SortFunc(out, func(a, b DataRecord[gen.DataStudent]) int { return cmp.Compare(a.Entity.AccountNo, b.Entity.AccountNo) })
	return out
}

// DefaultFaculty returns the data resources' faculty records: the fixture
// faculty member FacultyUsername (李老师) and synthetic ones fac001 onwards,
// DefaultFacultyCount in all, sorted by accountNo.
func DefaultFaculty() []DataRecord[gen.DataFaculty] {
	out := make([]DataRecord[gen.DataFaculty], 0, DefaultFacultyCount)
	for i := range DefaultFacultyCount {
		account, name, gh := fmt.Sprintf("fac%03d", i), surnames[(i+3)%len(surnames)]+givenNames[(i+5)%len(givenNames)], fmt.Sprintf("%05d", 20000+i)
		if i == 0 {
			account, name, gh = FacultyUsername, FacultyName, "10086"
		}
		org := mathSchool
		if i%2 == 1 {
			org = seiee
		}
		gender, genderName := "2", "女"
		if i%2 == 1 {
			gender, genderName = "1", "男"
		}
		out = append(out, DataRecord[gen.DataFaculty]{
			Entity: gen.DataFaculty{
				AccountNo: account, DisplayName: name, Gh: gh, TopOrganizeId: org.Id, TopOrganizeName: org.Name,
				CardType: "01", CardTypename: "身份证", Email: account + "@sjtu.edu.cn",
				Xbm: gender, Xbmc: genderName, Gjm: "156", Gjmc: "中国", Mzm: "01", Mzmc: "汉族",
			},
			Updated: DataFixtureTime.Add(time.Duration(i) * time.Hour),
		})
	}
	slices.SortFunc(out, func(a, b DataRecord[gen.DataFaculty]) int { return cmp.Compare(a.Entity.AccountNo, b.Entity.AccountNo) })
	return out
}

// DefaultAccounts returns the data resources' account records: one per
// record of DefaultStudents and DefaultFaculty, updated when it was, shaped
// like the documentation's example (with a relationList of one identity).
func DefaultAccounts() []DataRecord[gen.DataAccount] {
	var out []DataRecord[gen.DataAccount]
	add := func(account, name, style, userID, orgID, orgName, email, expire string, updated time.Time) {
		out = append(out, DataRecord[gen.DataAccount]{
			Entity: gen.DataAccount{
				AccountNo: account, Guid: fmt.Sprintf("00000000-0000-4000-8000-%012d", len(out)+1), DisplayName: name,
				AccountStatus: "正常", IdentityExpireDate: expire, UserStyle: style, UserId: userID,
				TopOrganizeId: orgID, TopOrganizeName: orgName, Email: email,
				RelationList: []gen.DataAccountRelation{{UserStyle: style, UserId: userID, ExpireDate: expire,
					TopOrganizeId: orgID, TopOrganizeName: orgName}},
			},
			Updated: updated,
		})
	}
	orgName := map[string]string{seiee.Id: seiee.Name, mathSchool.Id: mathSchool.Name}
	for _, s := range DefaultStudents() {
		e := s.Entity
		add(e.AccountNo, e.Xm, "student", e.Xh, s.Attributes["glyx"], orgName[s.Attributes["glyx"]], e.Email, "2027-07-31", s.Updated)
	}
	for _, f := range DefaultFaculty() {
		e := f.Entity
		add(e.AccountNo, e.DisplayName, "faculty", e.Gh, e.TopOrganizeId, e.TopOrganizeName, e.Email, "2040-12-31", f.Updated)
	}
	slices.SortFunc(out, func(a, b DataRecord[gen.DataAccount]) int { return cmp.Compare(a.Entity.AccountNo, b.Entity.AccountNo) })
	return out
}

// dataRow is one record as the fake keeps it: its JSON and, for the
// filters, its members.
type dataRow struct {
	key     string // the accountNo; a paper's author's userId
	entity  json.RawMessage
	fields  map[string]any
	attrs   map[string]string
	updated time.Time
}

// dataTable holds one operation's records, sorted by key.
type dataTable struct{ rows []*dataRow }

func (t *dataTable) find(key string) *dataRow {
	i, ok := slices.BinarySearchFunc(t.rows, key, func(r *dataRow, k string) int { return cmp.Compare(r.key, k) })
	if !ok {
		return nil
	}
	return t.rows[i]
}

func (t *dataTable) insert(r *dataRow) {
	i, _ := slices.BinarySearchFunc(t.rows, r.key, func(r *dataRow, k string) int { return cmp.Compare(r.key, k) })
	for i < len(t.rows) && t.rows[i].key == r.key { // papers share a key: keep insertion order
		i++
	}
	t.rows = slices.Insert(t.rows, i, r)
}

// setEntity stores e as the row's JSON and members.
func (r *dataRow) setEntity(e any) {
	b, err := json.Marshal(e)
	if err != nil {
		panic("jaccounttest: a data record does not encode: " + err.Error()) // gen types always encode
	}
	r.entity = b
	r.fields = map[string]any{}
	_ = json.Unmarshal(b, &r.fields)
}

func newRow(key string, e any, updated time.Time, attrs map[string]string) *dataRow {
	r := &dataRow{key: key, attrs: attrs, updated: updated}
	r.setEntity(e)
	return r
}

// newDataTables builds the records of the data resources from cfg.
func newDataTables(cfg *config) map[string]*dataTable {
	d := cfg.data
	if d.students == nil {
		d.students = DefaultStudents()
	}
	if d.faculty == nil {
		d.faculty = DefaultFaculty()
	}
	if d.accounts == nil {
		d.accounts = DefaultAccounts()
	}
	tables := map[string]*dataTable{opStudents: {}, opFaculty: {}, opAccounts: {}, opPapers: {}}
	for _, r := range d.students {
		tables[opStudents].insert(newRow(r.Entity.AccountNo, r.Entity, r.Updated, r.Attributes))
	}
	for _, r := range d.faculty {
		tables[opFaculty].insert(newRow(r.Entity.AccountNo, r.Entity, r.Updated, r.Attributes))
	}
	for _, r := range d.accounts {
		if r.Entity.Timestamp == "" {
			r.Entity.Timestamp = r.Updated.In(chinaTime).Format(time.DateTime)
		}
		tables[opAccounts].insert(newRow(r.Entity.AccountNo, r.Entity, r.Updated, r.Attributes))
	}
	for _, p := range d.papers {
		tables[opPapers].insert(newRow(p.userID, p.paper, time.Time{}, map[string]string{"userId": p.userID}))
	}
	return tables
}

// UpdateStudent changes the student record accountNo with change and makes
// its update time the server's clock (see WithClock), so that a request
// with a timestamp up to now returns it. It reports whether the record
// exists. change must not change the accountNo.
func (s *Server) UpdateStudent(accountNo string, change func(*gen.DataStudent)) bool {
	return updateData(s, opStudents, accountNo, change, nil)
}

// UpdateFaculty changes the faculty record accountNo like UpdateStudent.
func (s *Server) UpdateFaculty(accountNo string, change func(*gen.DataFaculty)) bool {
	return updateData(s, opFaculty, accountNo, change, nil)
}

// UpdateAccount changes the account record accountNo like UpdateStudent,
// and sets its Timestamp to the new update time.
func (s *Server) UpdateAccount(accountNo string, change func(*gen.DataAccount)) bool {
	return updateData(s, opAccounts, accountNo, change, func(a *gen.DataAccount, t time.Time) {
		a.Timestamp = t.In(chinaTime).Format(time.DateTime)
	})
}

// AddStudent adds a student record, updated now by the server's clock, as
// when a student enrols. It fails when st has no AccountNo or the record
// exists.
func (s *Server) AddStudent(st gen.DataStudent) error {
	if st.AccountNo == "" {
		return errors.New("jaccounttest: AddStudent: no AccountNo")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.data[opStudents]
	if t.find(st.AccountNo) != nil {
		return fmt.Errorf("jaccounttest: AddStudent: %s exists", st.AccountNo)
	}
	t.insert(newRow(st.AccountNo, st, s.now(), nil))
	return nil
}

func updateData[T any](s *Server, op, key string, change func(*T), stamp func(*T, time.Time)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.data[op].find(key)
	if r == nil {
		return false
	}
	var e T
	if err := json.Unmarshal(r.entity, &e); err != nil {
		panic("jaccounttest: a data record does not decode: " + err.Error())
	}
	change(&e)
	now := s.now()
	if stamp != nil {
		stamp(&e, now)
	}
	r.setEntity(e)
	r.updated = now
	return true
}

// The data resources' failures have the common envelope without entities
// and the open API's errno catalogue, as the open API's (fail): the data
// resources' pages document the statuses (400 for a bad parameter, 403 for
// an authentication failure) and the common envelope, not errnos of their
// own.

// badParameter is the reply to a bad query parameter, in the form of the
// documentation's example (BAD_PARAMETERS, a blank line, the detail).
func badParameter(detail string) reply {
	return fail(http.StatusBadRequest, errnoBadParameters, detail)
}

// dataScopeFailed is the reply to a token without exchange_data.
var dataScopeFailed = fail(http.StatusForbidden, errnoScopeFailed, "")

// dataNeedsClient is the reply to a user's token (authorization-code
// grant): exchange_data is a client-credentials scope. The router already
// refuses it (authorize); this guards the handlers should the spec ever
// let another grant in.
var dataNeedsClient = grantFailure([]requirement{{grants: []string{grantClientCredentials}}})

// parseDataTime reads a timestamp parameter: yyyy-MM-dd or yyyy-MM-dd
// HH:mm:ss, in China Standard Time.
func parseDataTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.DateTime, time.DateOnly} {
		if t, err := time.ParseInLocation(layout, v, chinaTime); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// dataHandler serves the data operation op: the records the filters and
// timestamp select, sorted by accountNo, from position first (1-based) on,
// offset of them; total is the number selected.
func dataHandler(op string) handler {
	return func(s *Server, r *http.Request, p *principal) reply {
		if p.user != nil || p.username != "" {
			return dataNeedsClient
		}
		q := r.URL.Query()
		num := func(name string, def int) (int, bool) {
			v := q.Get(name)
			if v == "" {
				return def, true
			}
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
		first, okFirst := num("first", 1)
		offset, okOffset := num("offset", DataDefaultPageSize)
		var since time.Time
		switch ts := q.Get("timestamp"); {
		case !okFirst || first < 1:
			return badParameter("first must be a position from 1")
		case !okOffset || offset < 1 || offset > DataMaxPageSize:
			return badParameter("offset must be a page size from 1 to " + strconv.Itoa(DataMaxPageSize))
		case ts != "":
			var valid bool
			if since, valid = parseDataTime(ts); !valid {
				return badParameter("timestamp must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss")
			}
		}
		s.mu.Lock()
		var selected []json.RawMessage
		for _, row := range s.data[op].rows {
			if row.matches(q, dataFilters[op], since) {
				selected = append(selected, row.entity)
			}
		}
		s.mu.Unlock()
		from := min(first-1, len(selected))
		return ok(selected[from:min(from+offset, len(selected))], len(selected))
	}
}

// matches reports whether the row was updated at or after since (when
// set) and has every filter of q.
func (row *dataRow) matches(q map[string][]string, filters []string, since time.Time) bool {
	if !since.IsZero() && row.updated.Before(since) {
		return false
	}
	for _, name := range filters {
		want := strings.Join(q[name], ",")
		if want == "" {
			continue
		}
		got, inRecord := row.fields[name].(string)
		if !inRecord {
			got = row.attrs[name]
		}
		if got != want {
			return false
		}
	}
	return true
}

// IssueClientToken issues an access token of the client-credentials grant
// (no user, no refresh token) to DefaultClientID directly, as the token
// endpoint would for grant_type=client_credentials: the token the data
// resources take, with scope exchange_data.
func (s *Server) IssueClientToken(scopes ...string) (*Token, error) {
	return s.issueDirect(DefaultClientID, "", scopes)
}
