package app

import (
	"context"
	"io/fs"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"madina/internal/notify"
	"madina/internal/platform/jobs"
)

// newNotify builds the notification service on the queue from the
// configuration's e-mail and SMS settings.
func (a *App) newNotify(templates []fs.FS) (*notify.Service, error) {
	c := a.Cfg
	var outbox *notify.Outbox
	if c.DevOutbox {
		outbox = notify.NewOutbox()
	}
	return notify.New(a.DB, a.Jobs, a.Log, notify.Config{
		SMTP: notify.SMTPConfig{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username,
			Password: c.SMTP.Password, From: c.SMTP.From, TLS: c.SMTP.TLS},
		SMS:       notify.SMSConfig{URL: c.SMS.URL, Token: c.SMS.Token, Sender: c.SMS.Sender},
		Templates: templates,
		Box:       a.Box, // seals what opens an account (reset links, codes) while queued
		Outbox:    outbox,
	})
}

// queueCollector exposes the job queue's depth by state and the outbox's
// backlog, read from the database at each scrape.
type queueCollector struct {
	q      *jobs.Queue
	depth  *prometheus.Desc
	events *prometheus.Desc
}

func newQueueCollector(q *jobs.Queue) *queueCollector {
	return &queueCollector{q: q,
		depth:  prometheus.NewDesc("madina_jobs", "Jobs in the queue by state.", []string{"state"}, nil),
		events: prometheus.NewDesc("madina_outbox_undispatched", "Outbox events not yet handed to their subscribers.", nil, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth; ch <- c.events }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if d, err := c.q.Depth(ctx); err == nil {
		for state, n := range d {
			ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n), state)
		}
	}
	if n, err := c.q.Undispatched(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.GaugeValue, float64(n))
	}
}
