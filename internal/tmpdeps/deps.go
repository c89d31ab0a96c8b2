package tmpdeps

import (
	_ "github.com/chromedp/cdproto/cdp"
	_ "github.com/chromedp/chromedp"
	_ "github.com/gabriel-vasile/mimetype"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/minio/minio-go/v7"
	_ "github.com/minio/minio-go/v7/pkg/credentials"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/wneessen/go-mail"
	_ "golang.org/x/text/language"
	_ "golang.org/x/text/unicode/norm"
	_ "golang.org/x/crypto/argon2"
)
