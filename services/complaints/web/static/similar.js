// The intake desk: while a call is typed, open cases like it appear under its words (a live
// region, read out politely). A small enhancement: without this file the desk files as before.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-similar-url]");
  var form = box && box.closest("form");
  if (!form) {
    return;
  }
  var results = box.querySelector("[data-similar-results]");
  var fields = ["subject", "description"].map(function (name) {
    return form.elements.namedItem(name);
  }).filter(Boolean);
  var WAIT_MS = 400; // after the last key: a call is typed in bursts
  var timer = null;
  var asked = "";
  var pending = null;

  function ask() {
    var text = fields.map(function (field) { return field.value.trim(); }).join("\n");
    if (text === asked) {
      return;
    }
    asked = text;
    var body = new FormData();
    body.append("csrf_token", form.elements.namedItem("csrf_token").value);
    fields.forEach(function (field) { body.append(field.name, field.value); });
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    // A POST with the form's CSRF token: the caller's words stay out of addresses and logs.
    fetch(box.dataset.similarUrl, {
      method: "POST", body: body, credentials: "same-origin", signal: pending.signal,
      headers: {"Accept": "text/html"}
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html !== null && text === asked) {
        results.innerHTML = html;
      }
    }).catch(function () {
      // Aborted by a newer question, or the network: the desk goes on without suggestions.
    });
  }

  fields.forEach(function (field) {
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
  });
  box.hidden = false;
  if (fields.some(function (field) { return field.value.trim(); })) {
    ask(); // a form sent back with problems keeps its words
  }
});
