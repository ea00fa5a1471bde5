// The filing form's live checks: the credit code as it is typed, and the chosen files.
// The server checks both again; the page works without this file.
"use strict";

(function () {
  // GB 32100-2015, as domain/credit_code.py: 31 characters (no I, O, Z, S, V), weights 3^i mod 31.
  var ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var LENGTH = 18;
  var WEIGHTS = [];
  for (var i = 0, weight = 1; i < LENGTH - 1; i += 1, weight = (weight * 3) % 31) {
    WEIGHTS.push(weight);
  }

  // What the server does to the field before it checks it.
  function normaliseCreditCode(value) {
    return value.replace(/\s+/g, "").toUpperCase();
  }

  // Why the server would refuse `code`, or null: {kind: length|characters|division|check}.
  function creditCodeProblem(code) {
    var characters = Array.from(code);
    if (characters.length !== LENGTH) {
      return { kind: "length", count: characters.length };
    }
    var wrong = characters.filter(function (character) {
      return ALPHABET.indexOf(character) < 0;
    });
    if (wrong.length) {
      return { kind: "characters", characters: Array.from(new Set(wrong)).sort().join("") };
    }
    if (!/^[0-9]{6}$/.test(code.slice(2, 8))) {
      return { kind: "division" };
    }
    var total = 0;
    for (var position = 0; position < LENGTH - 1; position += 1) {
      total += ALPHABET.indexOf(code[position]) * WEIGHTS[position];
    }
    var expected = ALPHABET[(31 - (total % 31)) % 31];
    return code[LENGTH - 1] === expected ? null : { kind: "check" };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? values[name] : whole;
    });
  }

  function showCheck(output, text, state) {
    output.textContent = text;
    output.classList.toggle("filer-live-check--ok", state === "ok");
    output.classList.toggle("filer-live-check--problem", state === "problem");
  }

  function watchCreditCode(input, output) {
    function check() {
      var code = normaliseCreditCode(input.value);
      if (!code) {
        showCheck(output, "", null);
        return;
      }
      var problem = creditCodeProblem(code);
      if (!problem) {
        showCheck(output, output.dataset.valid, "ok");
        return;
      }
      if (problem.kind === "length" && problem.count < LENGTH) {
        // Still typing: say what is wrong with the characters so far, if anything is.
        var sofar = creditCodeProblem(code.padEnd(LENGTH, "0"));
        if (sofar && (sofar.kind === "characters" || sofar.kind === "division")) {
          problem = sofar;
        } else {
          showCheck(output, fill(output.dataset.typing, { count: problem.count }), null);
          return;
        }
      }
      showCheck(output, fill(output.dataset[problem.kind], problem), "problem");
    }
    input.addEventListener("input", check);
    // A code the server refused is explained beside it already; speak up once it is edited.
    if (input.getAttribute("aria-invalid") !== "true") {
      check();
    }
  }

  // The chosen files against the limits the page states; the server refuses the same.
  function watchFiles(input, output) {
    var limits = {
      files: Number(input.dataset.maxFiles),
      each: Number(input.dataset.maxFileBytes),
      total: Number(input.dataset.maxTotalBytes)
    };
    function problem() {
      var files = Array.from(input.files || []);
      var kept = Number(input.dataset.kept || 0);
      var total = Number(input.dataset.keptBytes || 0);
      if (files.length + kept > limits.files) {
        return output.dataset.tooMany;
      }
      for (var index = 0; index < files.length; index += 1) {
        if (files[index].size > limits.each) {
          return fill(output.dataset.tooLarge, { name: files[index].name });
        }
        total += files[index].size;
      }
      return total > limits.total ? output.dataset.totalTooLarge : "";
    }
    input.addEventListener("change", function () {
      var text = problem();
      showCheck(output, text, text ? "problem" : null);
    });
    input.form.addEventListener("submit", function (event) {
      var text = problem();
      if (text) {
        // The server would refuse the whole request as too large, and the form would be lost.
        event.preventDefault();
        showCheck(output, text, "problem");
        input.focus();
      }
    });
  }

  window.HuiyinFiling = { normaliseCreditCode: normaliseCreditCode, creditCodeProblem: creditCodeProblem };

  document.addEventListener("DOMContentLoaded", function () {
    var code = document.getElementById("credit_code");
    var codeOutput = document.querySelector("[data-credit-code-check]");
    if (code && codeOutput) {
      watchCreditCode(code, codeOutput);
    }
    document.querySelectorAll("input[data-attachments]").forEach(function (input) {
      var output = document.getElementById(input.id + "-check");
      if (output) {
        watchFiles(input, output);
      }
    });
  });
})();
