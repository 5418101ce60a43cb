// Near-duplicates of a new indicator: as the person types its text, the indicators that say
// nearly the same are fetched from /api/v1/indicators/similar (the session's cookie) and listed
// in the panel, closest first, with how close they are. Without JavaScript the panel shows the
// same list when the form comes back (a preview or a refusal). Built with DOM methods and
// textContent only: no HTML from the server is inserted.
(function () {
  "use strict";

  var panel = document.getElementById("similar-panel");
  var results = document.getElementById("similar-results");
  var box = document.getElementById("text");
  if (!panel || !results || !box || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var url = panel.getAttribute("data-similar-url");
  var exclude = panel.getAttribute("data-exclude") || "";
  var timer = null;
  var latest = 0;
  var DELAY = 400;

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

  function render(items) {
    results.textContent = "";
    if (!items.length) {
      results.appendChild(el("p", "muted", "No indicator says nearly the same."));
      return;
    }
    var list = el("ul", "similar-list");
    items.forEach(function (item) {
      var li = el("li");
      var link = el("a", "code", item.code);
      link.href = item.url;
      li.appendChild(link);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("strong", "closeness", item.closeness + " (" + item.percent + "%)"));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "similar-text", item.text));
      list.appendChild(li);
    });
    results.appendChild(list);
  }

  function check() {
    var text = box.value.trim();
    if (text.length < 12 || text.length > 2000) {
      // Not compared: an earlier list (for another text) must not stay on screen, nor an
      // answer still on its way arrive after this.
      latest++;
      results.textContent = "";
      if (text.length > 2000) {
        results.appendChild(el("p", "muted", "Too long to compare (over 2000 characters)."));
      }
      return;
    }
    var params = new URLSearchParams({ text: text });
    if (exclude) {
      params.set("exclude", exclude);
    }
    var mine = ++latest;
    fetch(url + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && mine === latest) {
          render(data.results);
        }
      })
      .catch(function () {});
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, DELAY);
  });
})();
