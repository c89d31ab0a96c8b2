// Package useragent names the browser and the operating system a
// User-Agent header describes, for people to recognise their own devices
// ("Firefox on Android") in the list of their sessions. It knows the
// browsers and systems people use, not every string a client may send;
// what it does not recognise it leaves empty.
package useragent

import "strings"

// Device is what a User-Agent header says about the device.
type Device struct {
	Browser string // "Firefox", "Chrome", "Safari", "Edge"…; "" if unknown
	OS      string // "Android", "iPhone", "Windows", "macOS"…; "" if unknown
}

// browsers in the order they are to be looked for: many browsers also
// name the ones they are built on (Edge says Chrome and Safari; Chrome
// says Safari), so the most specific comes first.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
	{"OPR/", "Opera"}, {"OPiOS/", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"YaBrowser/", "Yandex Browser"},
	{"UCBrowser/", "UC Browser"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"},
	{"Safari/", "Safari"},
	{"curl/", "curl"},
}

var systems = []struct{ token, name string }{
	{"Android", "Android"},
	{"iPhone", "iPhone"}, {"iPad", "iPad"},
	{"CrOS", "ChromeOS"},
	{"Windows", "Windows"},
	{"Mac OS X", "macOS"}, {"Macintosh", "macOS"},
	{"Linux", "Linux"},
}

// Parse describes ua.
func Parse(ua string) Device {
	var d Device
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			d.Browser = b.name
			break
		}
	}
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			d.OS = s.name
			break
		}
	}
	// Safari's token without a version is also in every WebKit browser's
	// string: on a desktop or phone it is Safari only with Version/.
	if d.Browser == "Safari" && !strings.Contains(ua, "Version/") {
		d.Browser = ""
	}
	return d
}
