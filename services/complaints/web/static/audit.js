// The auditor's timeline: the slider shows the case as it stood after any event without a
// page load. Without this file the slider's form and the links under each event do the same.
"use strict";

(function () {
  var WAIT_MS = 250;

  function start() {
    var form = document.querySelector("[data-audit-moment]");
    if (!form || !window.fetch || !window.DOMParser || !window.history.replaceState) {
      return;
    }
    var slider = form.querySelector("input[type=range]");
    var shown = form.querySelector("output");
    var showButton = form.querySelector("[data-audit-show]");
    var timer = null;
    var asked = 0;
    showButton.hidden = true;  // the slider itself now shows

    function labelOf(position) {
      var event = document.getElementById("event-" + position);
      return event ? event.getAttribute("data-moment-label") : String(position);
    }

    function addressOf(position) {
      var address = new URL(form.action, window.location.href);
      address.searchParams.set("at", position);
      return address;
    }

    function swap(fresh, id) {
      var now = document.getElementById(id);
      var next = fresh.getElementById(id);
      if (now && next) {
        now.replaceWith(document.importNode(next, true));
      }
    }

    function load(position) {
      var ask = ++asked;
      var address = addressOf(position);
      fetch(address.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (ask !== asked) {
            return;  // the slider moved on meanwhile
          }
          var fresh = new DOMParser().parseFromString(html, "text/html");
          swap(fresh, "as-it-stood-panel");
          swap(fresh, "timeline");
          window.history.replaceState(null, "", address.pathname + address.search + address.hash);
        })
        .catch(function () {
          form.submit();  // the page itself can always answer
        });
    }

    slider.addEventListener("input", function () {
      var label = labelOf(slider.value);
      shown.textContent = label;
      slider.setAttribute("aria-valuetext", label);
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { load(slider.value); }, WAIT_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
