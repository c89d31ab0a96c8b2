// Madina enhances server-rendered pages; every page works without this file.
"use strict";
document.documentElement.classList.add("js");

// Upload progress (issue #10, documents): a form whose file input carries
// the texts to say (data-uploading, data-done, data-failed) sends its files
// with XMLHttpRequest to show how far the upload is, then follows the
// server's answer as the browser would have: the page it redirects to, or
// the page it renders (an error, next to the field).
document.addEventListener("submit", (ev) => {
  const form = ev.target;
  const input = form instanceof HTMLFormElement && form.querySelector("input[type=file][data-uploading]");
  if (!input || !window.FormData) return;
  const say = input.dataset;
  ev.preventDefault();
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  const lang = document.documentElement.lang || "ar";
  const pct = new Intl.NumberFormat(lang + "-u-nu-latn", { style: "percent" });
  const box = document.createElement("div");
  box.className = "field";
  const status = document.createElement("p");
  status.setAttribute("role", "status");
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.id = input.id + "-progress";
  status.id = bar.id + "-label";
  bar.setAttribute("aria-labelledby", status.id);
  status.textContent = say.uploading;
  box.append(status, bar);
  form.append(box);
  let said = 0;
  const xhr = new XMLHttpRequest();
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    const f = e.loaded / e.total;
    bar.value = Math.round(f * 100);
    // The live region speaks at each quarter, not at every event.
    if (f >= 1 || f - said >= 0.25) {
      said = f;
      status.textContent = say.uploading + " " + pct.format(f);
    }
  });
  xhr.addEventListener("load", () => {
    const url = new URL(xhr.responseURL || form.action, location.href);
    if (xhr.status < 300 && url.pathname !== new URL(form.action, location.href).pathname) {
      status.textContent = say.done;
      const item = form.querySelector("input[name=item]");
      const next = url.pathname + url.search;
      const hash = item ? "#item-" + item.value : "";
      // To the address already shown, a fragment would only scroll: the
      // page is then loaded anew without it (its banner is at the top).
      location.replace(next === location.pathname + location.search ? next : next + hash);
      return;
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  });
  xhr.addEventListener("error", () => {
    status.textContent = say.failed;
    status.setAttribute("role", "alert");
    if (button) button.disabled = false;
  });
  xhr.open("POST", form.action);
  xhr.send(new FormData(form));
});
