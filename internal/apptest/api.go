package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// APIClient calls the JSON API with a bearer token, through Client
// (http.DefaultClient when nil; CheckedAPI's checks every answer).
type APIClient struct {
	T      testing.TB
	Base   string
	Token  string
	Client *http.Client
}

// As is the same client with another token ("" for none): another
// person, or the same person with other scopes.
func (c APIClient) As(token string) APIClient {
	c.Token = token
	return c
}

// Call sends body with content type ctype; a successful answer is decoded
// into out when out is not nil.
func (c APIClient) Call(method, path, ctype string, body io.Reader, out any) (int, string) {
	c.T.Helper()
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		c.T.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.T.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return res.StatusCode, string(b)
}

// JSON sends in as JSON (no body when nil).
func (c APIClient) JSON(method, path string, in, out any) (int, string) {
	c.T.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	return c.Call(method, path, "application/json", body, out)
}

// APIFile is a permit file as the API shows it.
type APIFile struct {
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
