package permit

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/csvx"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

// Sort orders of "My files".
const (
	SortUpdated = "updated" // the most recently changed first (default)
	SortDue     = "due"     // the nearest deadline first, none last
	SortNumber  = "number"  // by number or reference
	SortOwner   = "owner"   // by owner's name
)

var listSorts = []string{SortUpdated, SortDue, SortNumber, SortOwner}

// ListFilter narrows "My files": empty fields match everything.
type ListFilter struct {
	State          State
	Kind           string
	Arrondissement string
	Sort           string
}

// MyFile is a line of "My files" with its owner's names.
type MyFile struct {
	*File
	OwnerAR, OwnerLatin string
}

// Owner is the owner's name in language lang.
func (m MyFile) Owner(lang string) string {
	return QueueRow{OwnerAR: m.OwnerAR, OwnerLatin: m.OwnerLatin}.Owner(lang)
}

// MyFiles lists the files Mine returns that f selects, with their owners'
// names, in f's order (lang chooses the script of names to sort by).
func (s *Service) MyFiles(ctx context.Context, a authz.Actor, f ListFilter, lang string) ([]MyFile, error) {
	fs, err := s.Mine(ctx, a)
	if err != nil {
		return nil, err
	}
	names, err := s.ownerNames(ctx, fs)
	if err != nil {
		return nil, err
	}
	out := make([]MyFile, 0, len(fs))
	for _, file := range fs {
		if f.State != "" && file.State != f.State || f.Kind != "" && file.Kind != f.Kind ||
			f.Arrondissement != "" && file.Arrondissement != f.Arrondissement {
			continue
		}
		n := names[file.ID]
		out = append(out, MyFile{File: file, OwnerAR: n[0], OwnerLatin: n[1]})
	}
	switch f.Sort {
	case SortDue:
		slices.SortStableFunc(out, func(x, y MyFile) int {
			switch {
			case x.DueAt == nil && y.DueAt == nil:
				return 0
			case x.DueAt == nil:
				return 1
			case y.DueAt == nil:
				return -1
			}
			return x.DueAt.Compare(*y.DueAt)
		})
	case SortNumber:
		slices.SortStableFunc(out, func(x, y MyFile) int { return cmp.Compare(x.Display(), y.Display()) })
	case SortOwner:
		key := make(map[int64]string, len(out)) // folded once per file, not per comparison
		for _, f := range out {
			key[f.ID] = textnorm.Fold(f.Owner(lang))
		}
		slices.SortStableFunc(out, func(x, y MyFile) int { return cmp.Compare(key[x.ID], key[y.ID]) })
	}
	return out, nil
}

// ownerNames reads the owners' names of files (Arabic, Latin) in one
// query, by the same join across capabilities as the queue (queueSelect).
func (s *Service) ownerNames(ctx context.Context, fs []*File) (map[int64][2]string, error) {
	out := map[int64][2]string{}
	for chunk := range slices.Chunk(fs, 500) {
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, f := range chunk {
			ph[i], args[i] = fmt.Sprintf("$%d", i+1), f.ID
		}
		rows, err := s.db.QueryContext(ctx, `SELECT f.id,
			COALESCE(TRIM(p.given_name_ar || ' ' || p.family_name_ar), l.name_ar, ''),
			COALESCE(TRIM(p.given_name_latin || ' ' || p.family_name_latin), l.name, '')
			FROM permit_files f
			LEFT JOIN persons p ON p.id = f.owner_person_id
			LEFT JOIN legal_persons l ON l.id = f.owner_legal_id
			WHERE f.id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("permit: owners: %w", err)
		}
		for rows.Next() {
			var id int64
			var ar, latin string
			if err := rows.Scan(&id, &ar, &latin); err != nil {
				rows.Close()
				return nil, fmt.Errorf("permit: owners: %w", err)
			}
			out[id] = [2]string{ar, latin}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// listRow is a line of "My files".
type listRow struct {
	ID                          int64
	Display, Title, Kind, State string
	Owner, Arrondissement       string
	Step, Holder, Due, Left     string
	Updated                     string
	Overdue, Closed, Draft      bool
}

// filesList is the data of "My files".
type filesList struct {
	Rows     []listRow
	Windows  []string // the windows the visitor works at
	Any      bool     // the visitor has files, whatever the filters
	Filtered bool
	States   []option
	Kinds    []option
	Arrs     []option
	Sorts    []option
	Export   string // the CSV export of the rows shown
	Caption  string // says the order
}

// listFilter reads the filters of "My files" from the address; unknown
// values match nothing rather than failing.
func listFilter(q url.Values) ListFilter {
	f := ListFilter{State: State(q.Get("state")), Kind: q.Get("kind"), Arrondissement: q.Get("arrondissement"), Sort: q.Get("sort")}
	if !slices.Contains(listSorts, f.Sort) {
		f.Sort = SortUpdated
	}
	return f
}

func (h *FileHandlers) webList(w http.ResponseWriter, r *http.Request) error {
	v := h.signedIn(w, r)
	if v == nil {
		return nil
	}
	ctx := r.Context()
	p := h.printer(r)
	q := r.URL.Query()
	lf := listFilter(q)
	all, err := h.Service.MyFiles(ctx, v.Actor, ListFilter{Sort: lf.Sort}, string(p.l))
	if err != nil {
		return err
	}
	now := h.Service.now()
	cat := h.Service.Catalogue()
	windows := h.windowNames(ctx)
	arrNames := map[string]string{}
	if as, err := h.Service.places.Arrondissements(ctx); err == nil {
		for _, a := range as {
			arrNames[a.Code] = a.Name.Pick(p.l)
		}
	}
	kindName := func(code string) string {
		if k, err := cat.Kind(code); err == nil {
			return k.Name.Pick(p.l)
		}
		return code
	}
	data := filesList{Windows: AgentWindows(v.Actor), Any: len(all) > 0,
		Filtered: lf.State != "" || lf.Kind != "" || lf.Arrondissement != ""}
	// The filters offer what the visitor's files hold.
	seenState, seenKind, seenArr := map[State]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range all {
		seenState[f.State], seenKind[f.Kind] = true, true
		if f.Arrondissement != "" {
			seenArr[f.Arrondissement] = true
		}
	}
	for _, s := range States {
		if seenState[s] {
			data.States = append(data.States, option{Value: string(s), Label: p.state(s), Selected: s == lf.State})
		}
	}
	for code := range seenKind {
		data.Kinds = append(data.Kinds, option{Value: code, Label: kindName(code), Selected: code == lf.Kind})
	}
	for code := range seenArr {
		data.Arrs = append(data.Arrs, option{Value: code, Label: cmp.Or(arrNames[code], code), Selected: code == lf.Arrondissement})
	}
	byLabel := func(x, y option) int { return cmp.Compare(textnorm.Fold(x.Label), textnorm.Fold(y.Label)) }
	slices.SortFunc(data.Kinds, byLabel)
	slices.SortFunc(data.Arrs, byLabel)
	for _, s := range listSorts {
		data.Sorts = append(data.Sorts, option{Value: s, Label: p.t("permit.files.sort." + s), Selected: s == lf.Sort})
	}
	var shown []MyFile
	for _, f := range all {
		if lf.State != "" && f.State != lf.State || lf.Kind != "" && f.Kind != lf.Kind || lf.Arrondissement != "" && f.Arrondissement != lf.Arrondissement {
			continue
		}
		shown = append(shown, f)
	}
	if q.Get("format") == "csv" {
		return h.filesCSV(w, r, p, shown, kindName, arrNames, windows)
	}
	for _, f := range shown {
		row := listRow{ID: f.ID, Display: f.Display(), Title: f.Title, State: p.state(f.State), Closed: f.State.Closed(),
			Draft: f.State == Draft, Updated: i18n.FormatDate(p.l, f.UpdatedAt), Kind: kindName(f.Kind),
			Owner: f.Owner(string(p.l)), Arrondissement: arrNames[f.Arrondissement]}
		if f.Step != "" && !f.State.Closed() {
			row.Step = cat.StepName(f.Step).Pick(p.l)
		}
		var wp *district.Window
		if wn, ok := windows[f.Window]; ok {
			wp = &wn
		}
		row.Holder = p.holder(f.Holder, wp)
		row.Due, row.Left, row.Overdue = h.due(p, f.DueAt, now)
		data.Rows = append(data.Rows, row)
	}
	exp := url.Values{}
	for _, k := range []string{"state", "kind", "arrondissement", "sort"} {
		if val := q.Get(k); val != "" {
			exp.Set(k, val)
		}
	}
	exp.Set("format", "csv")
	data.Export = "/files?" + exp.Encode()
	data.Caption = p.t("permit.files.caption")
	if lf.Sort != SortUpdated {
		data.Caption = p.t("permit.files.sorted", "sort", p.t("permit.files.sort."+lf.Sort))
	}
	h.Web.Render(w, r, http.StatusOK, "permit/files", web.Msg("permit.files.title"), data)
	return nil
}

// isoDate is a date in Casablanca as spreadsheets read it.
func isoDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(i18n.Casablanca).Format("2006-01-02")
}

func (h *FileHandlers) filesCSV(w http.ResponseWriter, r *http.Request, p printer, fs []MyFile, kindName func(string) string,
	arrNames map[string]string, windows map[string]district.Window) error {
	httpx.Private(r)
	rows := [][]string{{p.t("permit.files.csv.number"), p.t("permit.files.csv.kind"), p.t("permit.files.csv.title"),
		p.t("permit.files.csv.owner"), p.t("permit.files.csv.state"), p.t("permit.files.csv.arrondissement"),
		p.t("permit.files.csv.holder"), p.t("permit.files.csv.submitted"), p.t("permit.files.csv.due"), p.t("permit.files.csv.updated")}}
	for _, f := range fs {
		var wp *district.Window
		if wn, ok := windows[f.Window]; ok {
			wp = &wn
		}
		updated := f.UpdatedAt
		rows = append(rows, []string{f.Display(), kindName(f.Kind), f.Title, f.Owner(string(p.l)), p.state(f.State),
			arrNames[f.Arrondissement], p.holder(f.Holder, wp), isoDate(f.SubmittedAt), isoDate(f.DueAt), isoDate(&updated)})
	}
	return csvx.Write(w, "madina-files.csv", rows)
}
