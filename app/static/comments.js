/* zerodraft: select words in a draft text, then comment on them.

   Without this file everything still works: people type or paste the words into "Quoted words"
   and the server finds them. This only fills that field (and the exact offsets) from a selection.

   Offsets are code points into the raw text, as the server counts them (Python string indices).
   JavaScript strings count UTF-16 units, in which an emoji is two, so lengths go through
   Array.from. Each piece of the rendered text says where it starts (data-offset); reference marks
   between pieces ("C-12") are not part of the text and are skipped. */
(function () {
  "use strict";

  var SPACE = /\s/u;

  function codePoints(text) {
    return Array.from(text);
  }

  function pieces(box) {
    return Array.prototype.slice.call(box.querySelectorAll("[data-offset]"));
  }

  // The raw text of a box as code points; it does not change while the page is open.
  var texts = new WeakMap();
  function rawChars(box) {
    if (!texts.has(box)) {
      var raw = pieces(box).map(function (piece) { return piece.textContent; }).join("");
      texts.set(box, codePoints(raw));
    }
    return texts.get(box);
  }

  function boxOf(node) {
    var element = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    return element ? element.closest("[data-comment-text]") : null;
  }

  // The code-point offset in the raw text of `box` of a boundary point of a selection.
  function offsetOf(box, node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      var piece = node.parentElement && node.parentElement.closest("[data-offset]");
      if (piece && box.contains(piece)) {
        return Number(piece.dataset.offset) + codePoints(node.data.slice(0, offset)).length;
      }
    }
    // On an element, or inside a reference mark: where the next piece starts.
    var point = document.createRange();
    point.setStart(node, offset);
    var all = pieces(box);
    for (var i = 0; i < all.length; i++) {
      if (point.comparePoint(all[i], 0) >= 0) {
        return Number(all[i].dataset.offset);
      }
    }
    return rawChars(box).length;
  }

  // The selected words, if the selection lies inside one draft text: offsets and quote.
  function selectedWords() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    var range = selection.getRangeAt(0);
    var box = boxOf(range.startContainer);
    if (!box || box !== boxOf(range.endContainer)) {
      return null;
    }
    var start = offsetOf(box, range.startContainer, range.startOffset);
    var end = offsetOf(box, range.endContainer, range.endOffset);
    var chars = rawChars(box);
    // Spaces and line breaks at either end are not words (a double click may take a space).
    while (start < end && SPACE.test(chars[start])) { start++; }
    while (end > start && SPACE.test(chars[end - 1])) { end--; }
    if (end <= start) {
      return null;
    }
    return { box: box, range: range, start: start, end: end, quote: chars.slice(start, end).join("") };
  }

  function markThread(id, on) {
    document.querySelectorAll("[data-comments]").forEach(function (mark) {
      if (mark.dataset.comments.split(" ").indexOf(id) !== -1) {
        mark.classList.toggle("is-current", on);
      }
    });
    document.querySelectorAll('.balloon[data-comment="' + id + '"]').forEach(function (balloon) {
      balloon.classList.toggle("is-current", on);
    });
  }

  function setUpForm(form) {
    var quote = form.elements.namedItem("quote");
    var start = form.elements.namedItem("start");
    var end = form.elements.namedItem("end");
    if (!quote || !start || !end) {
      return null;
    }
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "link-button clear-selection";
    clear.textContent = "Clear the selected words";
    clear.hidden = true;
    quote.insertAdjacentElement("afterend", clear);

    function release() {
      start.value = "";
      end.value = "";
      quote.readOnly = false;
      quote.classList.remove("is-selected");
      clear.hidden = true;
    }

    function hold(words) {
      start.value = String(words.start);
      end.value = String(words.end);
      quote.value = words.quote;
      quote.readOnly = true;
      quote.classList.add("is-selected");
      clear.hidden = false;
    }

    clear.addEventListener("click", function () {
      release();
      quote.value = "";
      quote.focus();
    });
    // Words typed by hand are looked up by the server; the offsets no longer apply.
    quote.addEventListener("input", function () {
      start.value = "";
      end.value = "";
    });
    // A form shown again after a problem keeps the words selected before.
    if (start.value && end.value && quote.value) {
      quote.readOnly = true;
      quote.classList.add("is-selected");
      clear.hidden = false;
    }
    return { hold: hold, body: form.elements.namedItem("body") };
  }

  function setUpText(box) {
    var form = document.getElementById(box.dataset.commentForm || "");
    var fields = form && setUpForm(form);
    if (!fields) {
      return;
    }
    var host = box.parentElement;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-small select-comment";
    button.textContent = "Comment on the selected words";
    button.hidden = true;
    box.insertAdjacentElement("afterend", button);
    var chosen = null;

    function hide() {
      if (document.activeElement !== button) {
        button.hidden = true;
      }
    }

    function show() {
      var words = selectedWords();
      if (!words || words.box !== box) {
        chosen = null;
        hide();
        return;
      }
      chosen = words;
      var rects = words.range.getClientRects();
      var last = rects.length ? rects[rects.length - 1] : words.range.getBoundingClientRect();
      var area = host.getBoundingClientRect();
      button.hidden = false;
      var left = Math.min(last.left - area.left, area.width - button.offsetWidth);
      button.style.left = Math.max(0, left) + "px";
      button.style.top = last.bottom - area.top + 6 + "px";
    }

    document.addEventListener("mouseup", function () { window.setTimeout(show, 0); });
    document.addEventListener("keyup", function (event) {
      if (event.shiftKey || event.key === "Shift") { show(); }
    });
    // Words selected with the keyboard (caret browsing, a screen reader's reading cursor): the
    // next Tab goes to the button, wherever the browser would otherwise start from.
    document.addEventListener("keydown", function (event) {
      var active = document.activeElement;
      var reading = !active || active === document.body || box.contains(active);
      if (event.key === "Tab" && !event.shiftKey && !button.hidden && chosen && reading) {
        event.preventDefault();
        button.focus();
      }
    });
    // Touch screens select by long press and handles, without mouseup: show the button once
    // the selection has settled.
    var settling = 0;
    document.addEventListener("selectionchange", function () {
      var selection = window.getSelection();
      window.clearTimeout(settling);
      if (!selection || selection.isCollapsed) {
        chosen = null;
        hide();
      } else {
        settling = window.setTimeout(show, 300);
      }
    });
    window.addEventListener("resize", hide);
    // Keep the selection when the button is pressed.
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    // The form opens beside the words it is about: right under their text, not at the foot of
    // the page; "Put the form back" (or sending it) returns it to its place among the threads.
    var home = document.createComment("comment form");
    form.parentNode.insertBefore(home, form);
    var putBack = document.createElement("button");
    putBack.type = "button";
    putBack.className = "link-button close-beside";
    putBack.textContent = "Put the form back";
    putBack.hidden = true;
    form.insertBefore(putBack, form.firstChild);

    function openBeside() {
      if (form.previousElementSibling !== host) {
        host.insertAdjacentElement("afterend", form);
      }
      form.classList.add("is-beside-text");
      putBack.hidden = false;
    }

    putBack.addEventListener("click", function () {
      home.parentNode.insertBefore(form, home);
      form.classList.remove("is-beside-text");
      putBack.hidden = true;
      form.scrollIntoView({ block: "nearest" });
      fields.body.focus();
    });

    button.addEventListener("click", function () {
      if (!chosen) {
        return;
      }
      fields.hold(chosen);
      chosen = null;
      button.hidden = true;
      window.getSelection().removeAllRanges();
      openBeside();
      form.scrollIntoView({ block: "nearest" });
      fields.body.focus();
    });
    button.addEventListener("blur", function () { if (!chosen) { button.hidden = true; } });
    // The page's "Comment" link (the next step under the text) opens the form there too.
    document.querySelectorAll('a[data-opens-comment-form="' + form.id + '"]').forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        openBeside();
        form.scrollIntoView({ block: "nearest" });
        fields.body.focus();
      });
    });
  }

  function setUpThreads() {
    document.querySelectorAll(".thread[data-comment], .balloon[data-comment]").forEach(function (el) {
      var id = el.dataset.comment;
      el.addEventListener("mouseenter", function () { markThread(id, true); });
      el.addEventListener("mouseleave", function () { markThread(id, false); });
      el.addEventListener("focusin", function () { markThread(id, true); });
      el.addEventListener("focusout", function () { markThread(id, false); });
    });
    var target = /^#comment-(\d+)$/.exec(window.location.hash);
    if (target) {
      markThread(target[1], true);
    }
  }

  document.querySelectorAll("[data-comment-text]").forEach(setUpText);
  setUpThreads();
})();
