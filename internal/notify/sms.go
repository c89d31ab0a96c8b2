package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"madina/internal/platform/jobs"
)

// gateway sends SMS through an HTTP gateway: POST of JSON
// {"to", "text", "sender"}, optionally with a bearer token.
type gateway struct {
	cfg    SMSConfig
	client *http.Client
}

func newGateway(cfg SMSConfig, client *http.Client) (*gateway, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("notify: SMS gateway URL must be an http(s) URL")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	return &gateway{cfg: cfg, client: client}, nil
}

type smsRequest struct {
	To     string `json:"to"`
	Text   string `json:"text"`
	Sender string `json:"sender"`
}

// send posts one SMS. A 2xx reply is success; 4xx is permanent (the
// request is wrong), except 408 and 429 which, like 5xx and network
// errors, are retried. idempotencyKey is stable per delivery, for gateways
// that recognise a repeated request.
func (g *gateway) send(ctx context.Context, to, text, idempotencyKey string) error {
	body, err := json.Marshal(smsRequest{To: to, Text: text, Sender: g.cfg.Sender})
	if err != nil {
		return jobs.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return jobs.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", idempotencyKey)
	if g.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+g.cfg.Token)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests:
		return fmt.Errorf("sms gateway: %s", resp.Status)
	case c >= 400 && c < 500:
		return jobs.Permanent(fmt.Errorf("sms gateway: %s", resp.Status))
	default:
		return fmt.Errorf("sms gateway: %s", resp.Status)
	}
}
