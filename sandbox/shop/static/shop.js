/* NovaMart Supply - cookie banner, variant picker, payment method toggle, place-order spinner. */
(function () {
  "use strict";

  function byId(id) { return id ? document.getElementById(id) : null; }

  // Cookie banner: remember the choice for a year and remove the banner.
  var banner = byId("cookie-banner");
  if (banner) {
    banner.querySelectorAll("[data-consent]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        document.cookie = "cookie_consent=" + btn.getAttribute("data-consent") + "; path=/; max-age=31536000; SameSite=Lax";
        banner.parentNode.removeChild(banner);
        document.body.classList.remove("has-cookie-banner");
      });
    });
  }

  // Variant picker: clicking option buttons selects a variant, sets the hidden input,
  // and updates price, stock text, label and the add-to-cart button.
  document.querySelectorAll("[data-variant-picker]").forEach(function (form) {
    var dataEl = form.querySelector("script[type='application/json']");
    var variants = dataEl ? JSON.parse(dataEl.textContent) : [];
    var keyAttr = form.getAttribute("data-key-attr");
    var valueAttr = form.getAttribute("data-value-attr");
    var buttons = Array.prototype.slice.call(form.querySelectorAll(form.getAttribute("data-option-selector")));
    var input = byId(form.getAttribute("data-input"));
    var priceEl = byId(form.getAttribute("data-price"));
    var stockEl = byId(form.getAttribute("data-stock"));
    var submit = byId(form.getAttribute("data-submit"));
    var labelEl = byId(form.getAttribute("data-label"));
    var qtyEl = byId(form.getAttribute("data-quantity"));
    var chosen = {};
    buttons.forEach(function (b) {
      if (b.classList.contains("selected")) { chosen[b.getAttribute(keyAttr)] = b.getAttribute(valueAttr); }
    });
    var optionNames = [];
    buttons.forEach(function (b) {
      var k = b.getAttribute(keyAttr);
      if (optionNames.indexOf(k) < 0) { optionNames.push(k); }
    });

    function stockClass(stock) { return stock === 0 ? " out" : (stock <= 10 ? " low" : ""); }

    function refresh() {
      var match = null;
      if (optionNames.every(function (k) { return chosen[k] !== undefined; })) {
        match = variants.filter(function (v) {
          return optionNames.every(function (k) { return v.options[k] === chosen[k]; });
        })[0] || null;
      }
      buttons.forEach(function (b) {
        var on = chosen[b.getAttribute(keyAttr)] === b.getAttribute(valueAttr);
        b.classList.toggle("selected", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
      optionNames.forEach(function (k) {
        var span = byId("selected-" + k);
        if (span) { span.textContent = chosen[k] || ""; }
      });
      if (!match) {
        if (input) { input.value = ""; }
        if (submit) { submit.disabled = true; }
        return;
      }
      if (input) { input.value = match.id; }
      if (priceEl) {
        priceEl.textContent = match.price_text;
        priceEl.setAttribute("data-amount", (match.price / 100).toFixed(2));
      }
      if (stockEl) {
        stockEl.textContent = match.stock_text;
        stockEl.setAttribute("data-stock", String(match.stock));
        stockEl.className = stockEl.className.replace(/ (out|low)\b/g, "") + stockClass(match.stock);
      }
      if (labelEl) { labelEl.textContent = match.label; }
      if (qtyEl && match.stock > 0) { qtyEl.max = String(Math.min(99, match.stock)); }
      if (submit) { submit.disabled = match.stock === 0; }
    }

    buttons.forEach(function (b) {
      b.addEventListener("click", function (ev) {
        ev.preventDefault();
        chosen[b.getAttribute(keyAttr)] = b.getAttribute(valueAttr);
        refresh();
      });
    });
    if (buttons.length) { refresh(); }
  });

  // Payment page: show card fields only when paying by card.
  document.querySelectorAll("[data-payment-form]").forEach(function (form) {
    var fields = byId(form.getAttribute("data-card-fields"));
    function sync() {
      var checked = form.querySelector("input[type=radio]:checked");
      if (fields) { fields.style.display = checked && checked.value !== "card" ? "none" : ""; }
    }
    form.querySelectorAll("input[type=radio]").forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  });

  // Place order: show a spinner and prevent double submission.
  document.querySelectorAll("form[data-spinner]").forEach(function (form) {
    var submitted = false;
    form.addEventListener("submit", function (ev) {
      if (submitted) { ev.preventDefault(); return; }
      submitted = true;
      var spinner = byId(form.getAttribute("data-spinner"));
      var button = byId(form.getAttribute("data-button"));
      if (spinner) { spinner.classList.add("visible"); }
      window.setTimeout(function () {
        if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
      }, 0);
    });
  });

  // "Slide to verify": drag the knob until the puzzle piece fills the gap; on release the drag
  // (its end and the pointer's track over time) is posted.
  var sliderForm = document.querySelector("form[data-slider-form]");
  var knob = byId("captcha-knob");
  if (sliderForm && knob) {
    var piece = byId("captcha-piece");
    var track = byId("captcha-slider");
    var max = track.clientWidth - knob.offsetWidth;
    var dragFrom = null, started = 0, points = [], at = 0;
    var place = function (x) {
      at = Math.max(0, Math.min(max, Math.round(x)));
      knob.style.left = at + "px";
      if (piece) { piece.style.left = at + "px"; }
      knob.setAttribute("aria-valuenow", String(at));
      points.push([Math.round(performance.now() - started), at]);
    };
    knob.addEventListener("mousedown", function (ev) {
      dragFrom = ev.clientX; started = performance.now(); points = [];
      place(0);
      ev.preventDefault();
    });
    document.addEventListener("mousemove", function (ev) {
      if (dragFrom !== null) { place(ev.clientX - dragFrom); }
    });
    document.addEventListener("mouseup", function (ev) {
      if (dragFrom === null) { return; }
      place(ev.clientX - dragFrom);
      dragFrom = null;
      sliderForm.querySelector("[name=captcha_offset]").value = String(at);
      sliderForm.querySelector("[name=captcha_track]").value = JSON.stringify(points);
      sliderForm.submit();
    });
  }

  // Order note character counter.
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var counter = byId(area.getAttribute("data-counter"));
    function update() { if (counter) { counter.textContent = area.value.length + " / " + area.maxLength; } }
    area.addEventListener("input", update);
    update();
  });
})();
