// The live view of a meeting (templates/meeting_live.html, meeting_projector.html): follows
// the meeting's event stream and, when an event arrives, fetches the changed fragment again.
// Without JavaScript the page reloads itself (<noscript> refresh); with it, the stream
// reconnects by itself (EventSource sends Last-Event-ID), and nothing is missed.
//
// The fragment is replaced even while focus is inside it (a keyboard user on "Ask for the
// floor" still sees the point change): the focused control is found again in the new fragment
// (by id, else by its form's action and its own name and text) and focused, a select keeps what
// was chosen, and focus falls back to the point's heading. The polite live region
// (#live-announce) stays in the page and only its text changes ("Now: FC-CD-02"). A form in the
// view that has been typed in, or shows a refusal, is kept as it is (typed work is never lost).
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  // A form of the view sent back with a refusal: its first field in error is brought into view
  // and focused (the page is long, and the refusal would otherwise sit unseen below).
  var refused = live.querySelector(".field-error input, .field-error textarea, .field-error select");
  if (refused) {
    refused.scrollIntoView({ block: "center" });
    refused.focus({ preventScroll: true });
  }
  if (!window.EventSource || !window.fetch) return;
  var status = document.getElementById("live-status");
  var announce = document.getElementById("live-announce");
  var pending = false, again = false, failures = 0;

  function keyOf(el) {
    if (el.id) return "#" + el.id;
    var form = el.form ? el.form.getAttribute("action") + "|" : "";
    return form + el.tagName + "|" + (el.name || "") + "|" + (el.value || "") + "|" + el.textContent.trim();
  }

  function findKey(key) {
    if (key.charAt(0) === "#") return document.getElementById(key.slice(1));
    var all = live.querySelectorAll("button, a, input, select, textarea, [tabindex]");
    for (var i = 0; i < all.length; i++) if (keyOf(all[i]) === key) return all[i];
    return null;
  }

  function said(root) {
    var point = root.querySelector("#live-fragment");
    var decided = root.querySelector("#just-decided");
    return {
      current: point ? point.dataset.current : "",
      decided: decided ? decided.textContent.trim() : ""
    };
  }

  // A form someone has typed or chosen in, or that shows a refusal beside its fields.
  function touched(form) {
    if (form.querySelector(".field-error")) return true;
    return Array.prototype.some.call(form.elements, function (el) {
      if (el.type === "hidden" || el.type === "submit" || el.type === "button") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.tagName === "SELECT") {
        return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return el.value !== el.defaultValue;
    });
  }

  function replace(html) {
    var active = document.activeElement;
    var focused = active && active !== document.body && live.contains(active) ? keyOf(active) : null;
    var chosen = {};
    live.querySelectorAll("select[id]").forEach(function (s) { chosen[s.id] = s.value; });
    // Typed work is never lost to an update: such a form is put back, as it is, in place of
    // its fresh copy (its hidden version stays the one it was drawn with, so a decision on a
    // proposal changed meanwhile is refused, not silently taken over).
    var kept = [];
    live.querySelectorAll("form[action]").forEach(function (f) { if (touched(f)) kept.push(f); });
    var before = said(live);
    live.innerHTML = html;
    kept.forEach(function (old) {
      var fresh = live.querySelector('form[action="' + CSS.escape(old.getAttribute("action")) + '"]');
      if (fresh) fresh.replaceWith(old);
    });
    Object.keys(chosen).forEach(function (id) {
      var s = document.getElementById(id);
      if (s && s.querySelector('option[value="' + CSS.escape(chosen[id]) + '"]')) s.value = chosen[id];
    });
    if (focused) {
      var again_ = findKey(focused);
      if (!again_) {
        again_ = document.getElementById("live-point-title");
        if (again_) again_.setAttribute("tabindex", "-1");
      }
      if (again_) again_.focus({ preventScroll: true });
    }
    var after = said(live);
    var news = [];
    if (after.current !== before.current) news.push(after.current ? "Now: " + after.current : "No point under discussion");
    if (after.decided && after.decided !== before.decided) news.push(after.decided);
    if (announce && news.length) announce.textContent = news.join(". ");
  }

  function refresh() {
    if (pending) { again = true; return; }
    pending = true;
    fetch(live.dataset.fragment, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        // Sent elsewhere (the session ended: the log-in page), or no longer allowed: reload,
        // never paste that into the view. A server busy or restarting (5xx, 429): try again
        // later like a failed network, keeping the page and what is typed in it.
        if (r.redirected || r.status === 401 || r.status === 403 || r.status === 404) {
          source.close();
          window.location.reload();
          return null;
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        failures = 0;
        if (html !== null) replace(html);
      })
      .catch(function () {
        // The network failed: try again later, less often each time (never a tight loop).
        failures += 1;
        setTimeout(refresh, Math.min(30000, 1000 * Math.pow(2, failures)));
      })
      .then(function () {
        pending = false;
        // An event arrived while this fetch was on its way: fetch once more, at once.
        if (again) { again = false; refresh(); }
      });
  }

  // The stream. Its first opening fetches the fragment once: what changed between drawing the
  // page and the stream's start is not missed. A stream the browser gave up on (a reconnect
  // answered 5xx during a restart: EventSource then closes for good) is opened again, less
  // often each time, from the last event received, so the view never freezes unseen.
  var source = null, lastId = "", opened = false, retries = 0;

  function open() {
    var url = live.dataset.events;
    if (lastId) url += (url.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastId);
    source = new EventSource(url);
    source.onopen = function () {
      retries = 0;
      if (status) { status.dataset.live = "on"; status.textContent = "Updates as they happen."; }
      if (!opened) { opened = true; refresh(); }
    };
    source.onmessage = function (e) {
      if (e.lastEventId) lastId = e.lastEventId;
      refresh();
    };
    source.onerror = function () {
      if (status) { status.dataset.live = "reconnecting"; status.textContent = "Reconnecting…"; }
      if (source.readyState === EventSource.CLOSED) {
        retries += 1;
        setTimeout(open, Math.min(30000, 1000 * Math.pow(2, retries)));
      }
    };
  }
  open();
})();
