package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Exit codes of `madina booking verify-draw`.
const (
	DrawConfirmed  = 0
	DrawDiffers    = 1 // the seed is not the committed one, or the order is not the published one
	DrawUsage      = 2
	DrawUnreadable = 3 // no such file or address, not a published draw
)

const cliUsage = `Usage: madina booking verify-draw FILE|URL
       madina booking check-catalogue FILE

Re-runs a Casa In draw from its published data (the JSON of a facility's
public register, /api/v1/booking/draws/ID): checks that the revealed seed
is the one whose SHA-256 was published before the draw, re-computes the
weighted lottery (` + Method + `) and compares the order with the
published result. A season roster (/api/v1/booking/rosters/ID) is a draw
whose entries all weigh 1; its allocation (each token in order gets its
first choice still free) is re-run and compared too. Exit status: 0
confirmed, 1 differs, 3 unreadable, 2 usage.

check-catalogue checks a city's Casa In catalogue before it is served
with --booking-catalogue-file: every contradiction of every facility is
named. Exit status: 0 valid, 1 not valid, 3 unreadable, 2 usage.
`

// CLI runs `madina booking ARGS`.
func CLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, cliUsage)
		if len(args) == 0 {
			return DrawUsage
		}
		return 0
	}
	if args[0] == "check-catalogue" {
		return checkCatalogueCLI(args[1:], stdout, stderr)
	}
	if args[0] != "verify-draw" || len(args) != 2 {
		fmt.Fprintf(stderr, "madina booking: unknown command or arguments %q\n\n%s", strings.Join(args, " "), cliUsage)
		return DrawUsage
	}
	b, err := readDraw(ctx, args[1])
	if err != nil {
		fmt.Fprintf(stderr, "madina booking verify-draw: %v\n", err)
		return DrawUnreadable
	}
	var p Published
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.SeedHash == "" {
		fmt.Fprintf(stderr, "madina booking verify-draw: %s is not a published draw (%v)\n", args[1], err)
		return DrawUnreadable
	}
	if err := p.Verify(); err != nil {
		fmt.Fprintf(stdout, "NOT CONFIRMED: draw of %s at %s: %v\n", p.Facility, p.SlotStart.Format(time.RFC3339), err)
		return DrawDiffers
	}
	if p.Roster != nil {
		fmt.Fprintf(stdout, "CONFIRMED: season roster of %s from %s to %s, %d applications, seed matches its commitment %s, %d weekly slots given as re-run\n",
			p.Facility, p.Roster.SeasonFrom, p.Roster.SeasonTo, len(p.Entries), p.SeedHash, len(p.Roster.Granted))
		if x := p.Roster.Second; x != nil && x.State == "allocated" {
			fmt.Fprintf(stdout, "CONFIRMED: its second round, %d applications, seed matches its commitment %s, %d weekly slots given as re-run among the %d offered\n",
				len(x.Entries), x.SeedHash, len(x.Granted), len(x.Offered))
		}
		return DrawConfirmed
	}
	winner := "nobody (no request: the slot went first-come)"
	if len(p.Result) > 0 {
		winner = "token " + p.Result[0]
	}
	// The first in the order wins unless suspended since their request
	// (then the next not suspended does): the order is what is verified.
	fmt.Fprintf(stdout, "CONFIRMED: draw of %s at %s, %d requests, seed matches its commitment %s, first in the order %s\n",
		p.Facility, p.SlotStart.Format(time.RFC3339), len(p.Entries), p.SeedHash, winner)
	return DrawConfirmed
}

func readDraw(ctx context.Context, src string) ([]byte, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s answered %s", src, resp.Status)
		}
		return io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	}
	return os.ReadFile(src)
}
