// Small enhancements only; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // A form that came back with problems: take the reader (and the screen reader) to the list.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});
