/* Every page: confirmations for plain forms. A form with data-confirm="…" asks first; the text is
   read from the attribute (never evaluated), so a hostile name in it is only ever shown.
   htmx elements use hx-confirm, which htmx also shows with window.confirm. */
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
})();
