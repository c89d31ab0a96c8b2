# Madina — the two commands of the README, and their parts.
#   make run    build, load the demonstration data, serve on http://localhost:8080
#               (e-mails and SMS readable at http://localhost:8080/dev/outbox)
#   make test   install the test tools, then run every test
.PHONY: run build assets test test-deps bench bench-firstscreen vet

GO ?= go
BIN := $(CURDIR)/bin
VERSITYGW_VERSION := v1.8.0
OIDC_PROVIDER_VERSION := v3.51.17

build: assets
	$(GO) build -o $(BIN)/madina ./cmd/madina

# Fonts and icons from the npm lockfile into the embedded static folder
# (not in git); without Node.js the binary uses system fonts.
assets:
	@scripts/assets

# The development outbox keeps every e-mail and SMS in full, for this
# machine's browser: no SMTP server or SMS gateway is needed to verify an
# account or reset a password locally. Never use --dev-outbox in production.
run: build
	$(BIN)/madina demo
	@echo "Madina: http://localhost:8080 — e-mails and SMS it sends: http://localhost:8080/dev/outbox"
	$(BIN)/madina serve --dev-outbox

# Test tools: Debian's chromium and aiosmtpd (installed when missing and we
# are root), axe-core from the npm lockfile, versitygw from the Go proxy.
test-deps:
	@scripts/test-deps $(VERSITYGW_VERSION) $(OIDC_PROVIDER_VERSION)

test: test-deps assets
	MADINA_VERSITYGW=$(BIN)/versitygw MADINA_OIDC_PROVIDER_BIN=$(BIN)/oidc-provider $(GO) test -count=1 -timeout 75m $(TESTFLAGS) ./...

vet:
	gofmt -l . | (! grep .) && $(GO) vet ./...

bench: build
	$(BIN)/madina bench --out docs/PERFORMANCE.md

# The plan viewer's first screen of a generated 50 MB A0 vector sheet
# against PDF.js alone, in headless Chromium (issue #13; skipped without
# Chromium; about 5 minutes a round on 2 cores). Its figures go into
# docs/PERFORMANCE.md ("Plan review") by hand.
bench-firstscreen: assets
	$(GO) test -run '^$$' -bench FirstScreen -benchtime 2x -count 3 -timeout 45m ./internal/planreview/
