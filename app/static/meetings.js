// The live view of a meeting (templates/meeting_live.html, meeting_projector.html): follows
// the meeting's event stream and, when an event arrives, fetches the changed fragment again.
// Without JavaScript the page reloads itself (<noscript> refresh); with it, the stream
// reconnects by itself (EventSource sends Last-Event-ID), and nothing is missed.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) return;
  var status = document.getElementById("live-status");
  var pending = false, again = false;

  function refresh() {
    if (pending) { again = true; return; }
    pending = true;
    fetch(live.dataset.fragment, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        // Sent elsewhere (the session ended: the log-in page): never paste that into the view.
        if (r.redirected || !r.ok) { source.close(); window.location.reload(); return null; }
        return r.text();
      })
      .then(function (html) {
        if (html !== null) {
          var active = document.activeElement && document.activeElement.closest("#live");
          if (!active) live.innerHTML = html;
          else again = true;
        }
      })
      .catch(function () { again = true; })
      .then(function () {
        pending = false;
        if (again) { again = false; setTimeout(refresh, 300); }
      });
  }

  var source = new EventSource(live.dataset.events);
  source.onopen = function () {
    if (status) { status.dataset.live = "on"; status.textContent = "Updates as they happen."; }
  };
  source.onmessage = function () { refresh(); };
  source.onerror = function () {
    if (status) { status.dataset.live = "reconnecting"; status.textContent = "Reconnecting…"; }
  };
})();
