// Madina enhances server-rendered pages; every page works without this file.
"use strict";
document.documentElement.classList.add("js");
