// Local drafts: what a person types into the text boxes of a page's forms is kept in this browser
// while they type, and offered back when they open the page again after a crash or a closed tab
// ("Restore your unsent text from 11:32"). Every text box of a form that is sent (method post)
// takes part; a box with data-draft="off" does not.
//
// A draft is dropped once its form was sent and accepted: the text is remembered for this tab
// when the form is sent, and on the next page the drafts with that text are dropped unless the
// page shows the text again in a box (the form came back with a problem, or the person was asked
// to log in again first). Logging out drops every draft of this browser. Drafts older than two
// weeks are dropped too. The server never sees any of this; without JavaScript nothing changes.
// Drafts are kept per person (the page's <body data-drafts>, an opaque name of who is logged in):
// a browser shared by two people offers each only their own text.
(function () {
  "use strict";

  var PREFIX = "zd-draft:";
  var SENT = "zd-drafts-sent";
  var MAX_AGE = 14 * 24 * 3600 * 1000;
  var DELAY = 500;
  var OWNER = (document.body && document.body.getAttribute("data-drafts")) || "-";
  var local;
  var session;
  try {
    local = window.localStorage;
    session = window.sessionStorage;
    local.getItem(PREFIX);
  } catch (e) {
    return; // storage refused (private mode, a policy): nothing is kept
  }

  function read(key) {
    try {
      var draft = JSON.parse(local.getItem(key) || "null");
      return draft && typeof draft.text === "string" && typeof draft.at === "number" ? draft : null;
    } catch (e) {
      return null;
    }
  }

  function write(key, value) {
    try {
      local.setItem(key, JSON.stringify(value));
    } catch (e) {
      // Storage full: the draft is not kept; the form still works.
    }
  }

  function draftKeys() {
    var keys = [];
    for (var i = 0; i < local.length; i++) {
      var key = local.key(i);
      if (key && key.indexOf(PREFIX) === 0) {
        keys.push(key);
      }
    }
    return keys;
  }

  function boxes(root) {
    var found = root.querySelectorAll("form textarea");
    var out = [];
    for (var i = 0; i < found.length; i++) {
      var box = found[i];
      var form = box.form;
      if (!form || (form.getAttribute("method") || "get").toLowerCase() !== "post") {
        continue;
      }
      if (box.readOnly || box.disabled || box.getAttribute("data-draft") === "off") {
        continue;
      }
      if (!box.id && !box.name) {
        continue;
      }
      out.push(box);
    }
    return out;
  }

  function keyOf(box) {
    var action = box.form.getAttribute("action") || location.pathname;
    var where = location.pathname + location.search + "|" + action + "|" + (box.id || box.name);
    return PREFIX + OWNER + "|" + where;
  }

  function when(at) {
    var date = new Date(at);
    var time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    if (date.toDateString() === new Date().toDateString()) {
      return time;
    }
    return date.toLocaleDateString([], { day: "numeric", month: "short" }) + ", " + time;
  }

  function pageTexts() {
    var all = document.querySelectorAll("textarea");
    var texts = [];
    for (var i = 0; i < all.length; i++) {
      texts.push(all[i].value);
    }
    return texts;
  }

  // --- The forms sent from the page before this one ---------------------------------------------

  function settle() {
    var sent;
    try {
      sent = JSON.parse(session.getItem(SENT) || "[]");
    } catch (e) {
      sent = [];
    }
    if (!sent.length) {
      return;
    }
    if (location.pathname.indexOf("/login") === 0) {
      return; // asked to log in again first: decided on the page after
    }
    session.removeItem(SENT);
    var shown = pageTexts();
    draftKeys().forEach(function (key) {
      var draft = read(key);
      if (draft && sent.indexOf(draft.text) !== -1 && shown.indexOf(draft.text) === -1) {
        local.removeItem(key);
      }
    });
  }

  function forgetOld() {
    var now = Date.now();
    draftKeys().forEach(function (key) {
      var draft = read(key);
      if (!draft || now - draft.at > MAX_AGE) {
        local.removeItem(key);
      }
    });
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) {
        return;
      }
      if ((form.getAttribute("action") || "") === "/logout") {
        draftKeys().forEach(function (key) {
          local.removeItem(key);
        });
        return;
      }
      var texts = [];
      var inside = form.querySelectorAll("textarea");
      for (var i = 0; i < inside.length; i++) {
        if (inside[i].value.trim()) {
          texts.push(inside[i].value);
        }
      }
      if (texts.length) {
        var sent = [];
        try {
          sent = JSON.parse(session.getItem(SENT) || "[]");
        } catch (e) {
          sent = [];
        }
        session.setItem(SENT, JSON.stringify(sent.concat(texts).slice(-20)));
      }
    },
    true
  );

  // --- Keeping and offering back ----------------------------------------------------------------

  function keep(box) {
    var key = keyOf(box);
    if (!box.value.trim()) {
      local.removeItem(key);
      return;
    }
    write(key, { text: box.value, at: Date.now() });
  }

  function offer(box, draft) {
    var key = keyOf(box);
    var note = document.createElement("div");
    note.className = "notice notice-muted draft-offer";
    note.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = "Text you typed here at " + when(draft.at) + " was not sent.";
    note.appendChild(text);
    var buttons = document.createElement("p");
    buttons.className = "form-buttons";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button button-secondary";
    restore.textContent = "Restore your unsent text from " + when(draft.at);
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link-button";
    discard.textContent = "Discard it";
    buttons.appendChild(restore);
    buttons.appendChild(discard);
    note.appendChild(buttons);
    restore.addEventListener("click", function () {
      box.value = draft.text;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      note.parentNode.removeChild(note);
      box.focus();
    });
    discard.addEventListener("click", function () {
      local.removeItem(key);
      note.parentNode.removeChild(note);
      box.focus();
    });
    box.parentNode.insertBefore(note, box);
  }

  function watch(box) {
    var timer = null;
    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        timer = null;
        keep(box);
      }, DELAY);
    });
    // Closing the tab before the pause ends keeps what was typed all the same.
    window.addEventListener("pagehide", function () {
      if (timer !== null) {
        window.clearTimeout(timer);
        timer = null;
        keep(box);
      }
    });
  }

  settle();
  forgetOld();
  boxes(document).forEach(function (box) {
    var draft = read(keyOf(box));
    if (draft && draft.text.trim() && draft.text !== box.value) {
      offer(box, draft);
    }
    watch(box);
  });
})();
