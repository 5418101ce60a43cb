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
  // Without this script the list comes only with a preview or a refusal, and the page says so.
  var when = document.getElementById("similar-when");
  if (when) {
    when.textContent = "Checked as you type.";
  }
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

  function newTab(href, text) {
    var link = el("a", "", text);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    link.appendChild(el("span", "visually-hidden", " (opens in a new tab)"));
    return link;
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
      // The ways out, as the server renders them (_similar.html): new tabs, so the
      // half-written form in this one stays.
      var actions = el("span", "similar-actions");
      actions.appendChild(newTab(item.url, "Open " + item.code));
      actions.appendChild(document.createTextNode(" "));
      if (item.kind === "indicator") {
        actions.appendChild(
          newTab(
            "/proposals/new?" + new URLSearchParams({ kind: "amend", item: item.code }).toString(),
            "Propose an amendment to " + item.code
          )
        );
      } else {
        // A proposal for a new indicator has no item to amend (P-12 would be "not found").
        actions.appendChild(
          el("span", "hint", "a proposal for a new indicator: open it to support or co-sponsor it")
        );
      }
      li.appendChild(actions);
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
