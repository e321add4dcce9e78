/* Sales & Orders: countdowns, local times, the poller's row versions, selection, 422 messages.
   No polling of its own: the one #sales-poll element (htmx) does that. */
(function () {
  "use strict";

  // ---- countdowns to order_after: one timer for the page, no server requests
  var skewMs = 0; // server clock minus browser clock, from the page's render time

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function remaining(ms) {
    var s = Math.ceil(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s = s % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function tick() {
    var now = Date.now() + skewMs;
    document.querySelectorAll(".countdown[data-until]").forEach(function (el) {
      var ms = Date.parse(el.dataset.until) - now;
      var text = ms > 0 ? remaining(ms) : "due";
      if (el.textContent !== text) el.textContent = text;
    });
  }

  // ---- times: shown in the browser's time zone, UTC kept in the tooltip
  var fmt = window.Intl ? new Intl.DateTimeFormat(undefined, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"
  }) : null;
  var fmtSeconds = window.Intl ? new Intl.DateTimeFormat(undefined, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit"
  }) : null;

  function localTimes(root) {
    if (!fmt) return;
    root.querySelectorAll("time.local[datetime]").forEach(function (el) {
      if (el.dataset.done) return;
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.title = el.textContent;
      el.textContent = (el.dataset.seconds ? fmtSeconds : fmt).format(d);
      el.dataset.done = "1";
    });
  }

  // ---- the poller sends the version of every row on the page (id.version,...)
  function versions() {
    var out = [];
    document.querySelectorAll("#sales-rows > tr.sale[data-v]").forEach(function (tr) {
      out.push(tr.id.slice("order-".length) + "." + tr.dataset.v);
    });
    return out.join(",");
  }

  // ---- selection for bulk actions
  function updateSelection() {
    var boxes = document.querySelectorAll("#sales-rows input[name=ids]");
    var checked = document.querySelectorAll("#sales-rows input[name=ids]:checked").length;
    var label = document.querySelector(".selected-count");
    if (label) label.textContent = checked ? checked + " selected" : "";
    var all = document.querySelector(".select-all");
    if (all) {
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  document.addEventListener("change", function (e) {
    if (e.target.matches(".select-all")) {
      document.querySelectorAll("#sales-rows input[name=ids]").forEach(function (box) { box.checked = e.target.checked; });
    }
    if (e.target.matches(".select-all, #sales-rows input[name=ids]")) updateSelection();
  });

  document.addEventListener("click", function (e) {
    var dismiss = e.target.closest(".sales-flash .dismiss");
    if (dismiss) dismiss.closest(".sales-flash").remove();
  });

  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt && e.detail.elt.id === "sales-poll") e.detail.parameters.v = versions();
  });

  // An ActionError answers 422 with a message for #order-messages: show it (htmx skips 4xx by default).
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr && e.detail.xhr.status === 422) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", updateSelection);

  function init() {
    var results = document.querySelector("[data-server-now]");
    if (results) skewMs = Date.parse(results.dataset.serverNow) - Date.now();
    if (window.htmx) {
      window.htmx.onLoad(function (root) { localTimes(root); tick(); });
    } else {
      localTimes(document);
    }
    tick();
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
