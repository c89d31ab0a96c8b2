package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"madina/internal/platform/config"
	"madina/internal/platform/httpx"
)

// benchResult is one load run against one server.
type benchResult struct {
	Name       string
	Requests   int
	Seconds    float64
	P50, P99   time.Duration
	Throughput float64
}

// cmdBench measures Madina's pages against a bare net/http handler that
// returns the same bytes, in the same run, over loopback HTTP with the
// same client: the ratio is what Madina's own work costs.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer, opt Options) error {
	fs := flag.NewFlagSet("madina bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: madina bench [flags]\n\nMeasures Madina's pages against a bare net/http handler.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	clients := fs.Int("clients", 64, "concurrent clients")
	dur := fs.Duration("duration", 5*time.Second, "measured time per target")
	out := fs.String("out", "", "update the HTTP section of this PERFORMANCE.md")
	rounds := fs.Int("rounds", 3, "alternating rounds per target; medians are reported")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "madina-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := config.Config{DataDir: dir, Workers: 1, Grace: time.Second}
	a, err := NewWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), opt)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.LoadDemo(ctx, io.Discard); err != nil {
		return err
	}
	madina, stopMadina, err := serveBench(a.Handler)
	if err != nil {
		return err
	}
	defer stopMadina()

	targets := []struct{ name, path string }{
		{"home page", "/"},
		{"API read (/api/v1/arrondissements)", "/api/v1/arrondissements"},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: *clients * 2, MaxIdleConnsPerHost: *clients * 2, DisableCompression: true}}
	var rows []string
	ok := true
	for _, tg := range targets {
		body, ctype, err := fetch(client, madina+tg.path)
		if err != nil {
			return err
		}
		bare, stopBare, err := serveBench(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			_, _ = w.Write(body)
		}))
		if err != nil {
			return err
		}
		// Alternate the two servers over several rounds and keep the
		// median, so that a noisy moment of the machine hits both alike.
		var rbs, rms []benchResult
		for i := 0; i < *rounds; i++ {
			rbs = append(rbs, load(ctx, client, bare+tg.path, *clients, *dur))
			rms = append(rms, load(ctx, client, madina+tg.path, *clients, *dur))
		}
		stopBare()
		rb, rm := median(rbs), median(rms)
		ratio := rm.Throughput / rb.Throughput
		meets := ratio >= 0.3 && rm.P99 < 20*time.Millisecond
		ok = ok && meets
		rows = append(rows, fmt.Sprintf("| %s | %d B | %.0f req/s, p50 %s, p99 %s | %.0f req/s, p50 %s, p99 %s | %.2f× | %s |",
			tg.name, len(body), rb.Throughput, ms(rb.P50), ms(rb.P99), rm.Throughput, ms(rm.P50), ms(rm.P99), ratio, yesNo(meets)))
	}
	table := benchTable(*clients, *dur, *rounds, rows)
	fmt.Fprint(stdout, table)
	if *out != "" {
		if err := replaceSection(*out, "bench:http", table); err != nil {
			return err
		}
	}
	if !ok {
		return errors.New("bench: a target was missed")
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// median returns, field by field, the median of the rounds.
func median(rs []benchResult) benchResult {
	pick := func(f func(benchResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	return benchResult{
		Throughput: pick(func(r benchResult) float64 { return r.Throughput }),
		P50:        time.Duration(pick(func(r benchResult) float64 { return float64(r.P50) })),
		P99:        time.Duration(pick(func(r benchResult) float64 { return float64(r.P99) })),
	}
}

func benchTable(clients int, dur time.Duration, rounds int, rows []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s (%d CPUs, %s), SQLite embedded default with demo data, %d concurrent clients on loopback (the load generator shares the machine), %s per target per round after a warm-up, %d alternating rounds, medians shown.\n\n",
		time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.NumCPU(), runtime.Version(), clients, dur, rounds)
	b.WriteString("| target | body | bare net/http handler, same bytes | Madina | Madina ÷ bare | meets ≥ 0.3× and p99 < 20 ms |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return b.String()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func serveBench(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := httpx.NewServer(h)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func fetch(c *http.Client, url string) ([]byte, string, error) {
	res, err := c.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != 200 {
		err = fmt.Errorf("bench: GET %s: %s", url, res.Status)
	}
	return b, res.Header.Get("Content-Type"), err
}

// load runs clients goroutines requesting url back to back for dur (after
// a one-second warm-up) and reports throughput and latency percentiles.
func load(ctx context.Context, c *http.Client, url string, clients int, dur time.Duration) benchResult {
	run := func(d time.Duration) [][]time.Duration {
		lat := make([][]time.Duration, clients)
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for time.Now().Before(deadline) && ctx.Err() == nil {
					t0 := time.Now()
					res, err := c.Get(url)
					if err != nil {
						continue
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode == 200 {
						lat[i] = append(lat[i], time.Since(t0))
					}
				}
			}(i)
		}
		wg.Wait()
		return lat
	}
	run(time.Second)
	start := time.Now()
	lat := run(dur)
	secs := time.Since(start).Seconds()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := benchResult{Name: url, Requests: len(all), Seconds: secs}
	if len(all) > 0 {
		r.P50 = all[len(all)/2]
		r.P99 = all[len(all)*99/100]
		r.Throughput = float64(len(all)) / secs
	}
	return r
}

// replaceSection rewrites the text between <!-- name --> and <!-- /name -->.
func replaceSection(path, name, body string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	open, close := []byte("<!-- "+name+" -->\n"), []byte("<!-- /"+name+" -->")
	i, j := bytes.Index(b, open), bytes.Index(b, close)
	if i < 0 || j < i {
		return fmt.Errorf("bench: %s has no <!-- %s --> section", path, name)
	}
	var nb bytes.Buffer
	nb.Write(b[:i+len(open)])
	nb.WriteString(body)
	nb.Write(b[j:])
	return os.WriteFile(path, nb.Bytes(), 0o644)
}
