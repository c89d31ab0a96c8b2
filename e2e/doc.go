// Package e2e holds Madina's end-to-end tests. They build the real binary,
// run "madina serve" on a free port with a fresh data directory, and drive it
// in headless Chromium as a citizen would, checking each page with axe-core.
//
// Run them from the repository root after "npm ci":
//
//	go test ./e2e/ -v -count=1
//
// Without Chromium (Debian's chromium, or $MADINA_CHROMIUM) or without
// node_modules/axe-core they skip, unless MADINA_TEST_REQUIRE names
// "browser"; then they fail. MADINA_SCREENSHOT=docs/screenshot-home.png
// (relative to the repository root) saves the README's picture of the home
// page, and MADINA_E2E_BINARY tests an already built binary.
package e2e
