// Small enhancements only; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // A form that came back with problems: take the reader (and the screen reader) to the list.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});

// Who is filing: show the fields of the kind chosen (an enterprise's or a person's) and hide
// the other kind's, which the server ignores. Without this file both show, each labelled.
document.addEventListener("DOMContentLoaded", function () {
  var groups = document.querySelectorAll("[data-filer-kind]");
  var radios = document.querySelectorAll("input[type=radio][name=filer_kind]");
  if (!groups.length || !radios.length) {
    return;
  }
  function show() {
    var chosen = document.querySelector("input[type=radio][name=filer_kind]:checked");
    groups.forEach(function (group) {
      group.hidden = Boolean(chosen) && group.dataset.filerKind !== chosen.value;
    });
  }
  radios.forEach(function (radio) {
    radio.addEventListener("change", show);
  });
  show();
});
