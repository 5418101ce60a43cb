// Live preview of a proposal: as the person types, the word diff of what they would propose is
// fetched from the server and shown beside the form. Without JavaScript the "Preview changes"
// button shows the same diff. The diff is built with DOM methods and textContent only: no
// HTML from the server is inserted.
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url]");
  var region = document.getElementById("live-preview");
  if (!form || !region || !window.fetch || !window.FormData || !window.URLSearchParams) {
    return;
  }
  var url = form.getAttribute("data-preview-url");
  var tokenField = form.querySelector('input[name="csrf_token"]');
  var token = tokenField ? tokenField.value : "";
  var timer = null;
  var latest = 0;
  var DELAY = 350;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function marked(tag, words, text) {
    // Inserted and deleted words are announced in words, not only by colour or line.
    var node = el(tag);
    node.appendChild(el("span", "visually-hidden", "[" + words + ": "));
    node.appendChild(document.createTextNode(text));
    node.appendChild(el("span", "visually-hidden", "]"));
    return node;
  }

  function render(data) {
    var diff = el("div", "diff");
    if (!data.fields.length) {
      diff.appendChild(
        el("p", "diff-none", "No changes yet: the proposal is the same as the current text.")
      );
    } else {
      diff.appendChild(
        el("p", "diff-legend", "Inserted words are underlined and green; deleted words are struck through and red.")
      );
    }
    data.fields.forEach(function (field) {
      var box = el("div", "diff-field");
      box.setAttribute("data-field", field.field);
      box.appendChild(el("h3", "diff-label", field.label));
      var text = el("p", "diff-text");
      field.ops.forEach(function (op) {
        if (op.op === "insert") {
          text.appendChild(marked("ins", "inserted", op.text));
        } else if (op.op === "delete") {
          text.appendChild(marked("del", "deleted", op.text));
        } else {
          text.appendChild(document.createTextNode(op.text));
        }
      });
      if (!field.ops.length) {
        text.appendChild(el("span", "muted", "(empty)"));
      }
      box.appendChild(text);
      diff.appendChild(box);
    });
    if (data.problems && data.problems.length) {
      var list = el("ul", "preview-problems");
      data.problems.forEach(function (message) {
        list.appendChild(el("li", "", message));
      });
      diff.appendChild(list);
    }
    region.replaceChildren(diff);
    region.setAttribute("aria-busy", "false");
  }

  function update() {
    var mine = ++latest;
    var body = new URLSearchParams(new FormData(form));
    body.set("action", "preview");
    region.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRF-Token": token,
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
      },
      body: body.toString()
    })
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        return response.ok && type.indexOf("application/json") === 0 ? response.json() : null;
      })
      .then(function (data) {
        // Only the answer to the latest keystroke is shown.
        if (data && mine === latest) {
          render(data);
        }
      })
      .catch(function () {
        region.setAttribute("aria-busy", "false");
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DELAY);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.setAttribute("data-live-preview", "on");
})();
