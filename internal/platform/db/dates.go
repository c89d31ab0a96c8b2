package db

import (
	"database/sql/driver"
	"fmt"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// Calendar dates on a local clock, for grouping by day in the database.
// PostgreSQL converts with its own time-zone database; SQLite has none,
// so the function date_in(ts, zone) is registered with the driver and
// converts with Go's (both are IANA's: the same dates).

func init() {
	sqlite.MustRegisterDeterministicScalarFunction("date_in", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var t time.Time
		switch v := args[0].(type) {
		case nil:
			return nil, nil
		case time.Time:
			t = v
		case string:
			var err error
			if t, err = time.Parse(sqliteTime, v); err != nil {
				return nil, fmt.Errorf("date_in: %w", err)
			}
		default:
			return nil, fmt.Errorf("date_in: a time is %T", v)
		}
		name, ok := args[1].(string)
		if !ok {
			return nil, fmt.Errorf("date_in: a zone is %T", args[1])
		}
		loc, err := zone(name)
		if err != nil {
			return nil, err
		}
		return t.In(loc).Format(time.DateOnly), nil
	})
}

var zones sync.Map // name → *time.Location

func zone(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("date_in: %w", err)
	}
	zones.Store(name, l)
	return l, nil
}

// DateIn is the SQL expression of the calendar date (text, YYYY-MM-DD)
// of the timestamp expression expr on the clock of zone, an IANA name
// written by the program (never input: it is put in the query's text).
func DateIn(e Engine, expr, zone string) string {
	if e == Postgres {
		return fmt.Sprintf("to_char((%s) AT TIME ZONE '%s', 'YYYY-MM-DD')", expr, zone)
	}
	return fmt.Sprintf("date_in(%s, '%s')", expr, zone)
}
