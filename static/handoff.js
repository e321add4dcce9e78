/* The hand-off's live view: shows the bot's browser page (frames by long poll) and sends the
   person's mouse, wheel and keys into it. No inline script (CSP); the CSRF token comes from the
   body's hx-headers, as htmx sends it. */
(function () {
  "use strict";
  var view = document.getElementById("live-view");
  if (!view) { return; }
  var img = document.getElementById("live-frame");
  var status = document.getElementById("live-status");
  var token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  var last = null;
  var size = { w: 1280, h: 900 };
  var frames = 0;

  // ---- frames: each request waits (up to 1 s) for a frame newer than the last one shown
  function poll() {
    var url = view.getAttribute("data-frame-url") + (last ? "?after=" + encodeURIComponent(last) : "");
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 204) { return null; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        if (data && data.ended) { window.location.reload(); return; }
        if (data && data.jpeg) {
          last = data.id;
          if (data.w && data.h) { size = { w: data.w, h: data.h }; }
          img.src = "data:image/jpeg;base64," + data.jpeg;
          frames += 1;
          view.setAttribute("data-frames", String(frames));
          view.setAttribute("data-frame-id", data.id);
          status.textContent = "Live";
        }
        window.setTimeout(poll, 0);
      }, function () {
        status.textContent = "Reconnecting…";
        window.setTimeout(poll, 1000);
      });
  }
  poll();

  // ---- input: batched every 25 ms, one request at a time so the order is kept
  var queue = [];
  var sending = false;
  var timer = null;
  function send(event) {
    queue.push(event);
    if (!timer && !sending) { timer = window.setTimeout(flush, 25); }
  }
  function flush() {
    timer = null;
    if (sending || !queue.length) { return; }
    sending = true;
    var batch = queue.splice(0, 64);
    fetch(view.getAttribute("data-input-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ events: batch })
    }).then(function (r) {
      if (r.status === 409) { window.location.reload(); }
    }).catch(function () {}).then(function () {
      sending = false;
      if (queue.length) { timer = window.setTimeout(flush, 25); }
    });
  }
  function at(e) {
    var box = img.getBoundingClientRect();
    var x = (e.clientX - box.left) * size.w / box.width;
    var y = (e.clientY - box.top) * size.h / box.height;
    return {
      x: Math.round(Math.max(0, Math.min(size.w, x)) * 10) / 10,
      y: Math.round(Math.max(0, Math.min(size.h, y)) * 10) / 10
    };
  }
  var BUTTONS = ["left", "middle", "right"];
  var pressed = null;
  img.addEventListener("mousedown", function (e) {
    e.preventDefault();
    var p = at(e);
    img.focus({ preventScroll: true });  // keys go to the page; the view must not jump under the pointer
    pressed = BUTTONS[e.button] || "left";
    send({ t: "down", x: p.x, y: p.y, button: pressed });
  });
  var lastMove = 0;
  document.addEventListener("mousemove", function (e) {
    var now = performance.now();
    if (pressed === null && (e.target !== img || now - lastMove < 100)) { return; }
    if (now - lastMove < 16) { return; }
    lastMove = now;
    var p = at(e);
    send({ t: "move", x: p.x, y: p.y });
  });
  document.addEventListener("mouseup", function (e) {
    if (pressed === null) { return; }
    var p = at(e);
    send({ t: "up", x: p.x, y: p.y, button: pressed });
    pressed = null;
  });
  img.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  img.addEventListener("wheel", function (e) {
    e.preventDefault();
    var p = at(e);
    send({ t: "wheel", x: p.x, y: p.y, dx: e.deltaX, dy: e.deltaY });
  }, { passive: false });
  img.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    e.preventDefault();
    send({ t: "key", key: e.key });
  });
  var typeForm = document.getElementById("live-type-form");
  if (typeForm) {
    typeForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var field = document.getElementById("live-text");
      if (field.value) { send({ t: "text", text: field.value }); }
      field.value = "";
      img.focus({ preventScroll: true });
    });
  }
})();
