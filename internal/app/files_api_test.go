package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// The API vocabulary of the tests that stay in package app (apptest's
// CheckedAPI and APIFile are the capabilities'); the API tests themselves
// (TestFilesAPI) moved to internal/permit.

// apiClient calls the JSON API with a bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) call(method, path, ctype string, body io.Reader, out any) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := checked(c.t, nil).Do(req) // every response checked against the OpenAPI document
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return res.StatusCode, string(b)
}

func (c apiClient) json(method, path string, in, out any) (int, string) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	return c.call(method, path, "application/json", body, out)
}

type apiFile struct {
	ID           int64    `json:"id"`
	Number       string   `json:"number"`
	TrackingCode string   `json:"tracking_code"`
	State        string   `json:"state"`
	Version      int      `json:"version"`
	Window       string   `json:"window"`
	Missing      []string `json:"missing"`
	Actions      []string `json:"actions"`
	Appointment  *struct {
		Start time.Time `json:"start"`
	} `json:"appointment"`
	Route struct {
		Rule        string            `json:"rule"`
		Explanation map[string]string `json:"explanation"`
	} `json:"route"`
}
