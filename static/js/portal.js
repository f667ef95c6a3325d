/* Small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  // Filter a <select>'s options by what is typed in a search box.
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-filter-select]")) return;
    var select = document.getElementById(box.dataset.filterSelect);
    if (!select) return;
    var needle = box.value.trim().toLowerCase();
    var firstMatch = null;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var hit = !needle || option.text.toLowerCase().indexOf(needle) !== -1;
      option.hidden = !hit;
      if (hit && !firstMatch) firstMatch = option;
    });
    if (needle && firstMatch && (select.selectedIndex < 1 || select.options[select.selectedIndex].hidden)) {
      select.value = firstMatch.value;
    }
  });

  // A <select data-autosubmit> (the language switch) sends its form on change.
  // Here rather than in an onchange attribute: the Content-Security-Policy
  // allows no inline handlers (docs/decisions/0027).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-autosubmit]") || !select.form) return;
    select.form.submit();
  });

  // "Use my location": fill the hidden lat/lng and ask which grid that is.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#use-location");
    if (!button) return;
    var out = document.getElementById("locate-result");
    if (!navigator.geolocation) {
      out.textContent = button.dataset.noGeo || "";
      return;
    }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        button.disabled = false;
        var lat = pos.coords.latitude.toFixed(6);
        var lng = pos.coords.longitude.toFixed(6);
        document.getElementById("id_lat").value = lat;
        document.getElementById("id_lng").value = lng;
        var url = button.dataset.locateUrl + "?lat=" + lat + "&lng=" + lng;
        if (window.htmx) {
          htmx.ajax("GET", url, { target: "#locate-result" }).then(function () {
            var found = out.querySelector("[data-grid-id]");
            var grid = document.getElementById("id_grid");
            if (found && grid) grid.value = found.dataset.gridId;
          });
        }
      },
      function () {
        // The browser's own message is in its UI language, not the page's.
        button.disabled = false;
        out.textContent = button.dataset.geoFailed || "";
      },
      { enableHighAccuracy: true, timeout: 15000 }
    );
  });

  // Step dialogs: htmx loads a form into the modal, then we show it.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "step-dialog-content") {
      var dialog = document.getElementById("step-dialog");
      var modal = bootstrap.Modal.getOrCreateInstance(dialog);
      if (dialog.classList.contains("show")) {
        focusFirst(event.detail.target);
      } else {
        modal.show();
      }
    }
  });

  // Bootstrap focuses the dialog itself once shown; move on to the first field.
  document.addEventListener("shown.bs.modal", function (event) {
    focusFirst(event.target);
  });

  function focusFirst(root) {
    var invalid = root.querySelector(".is-invalid");
    var first = invalid || root.querySelector("textarea, input:not([type=hidden]), select");
    if (first) first.focus();
  }
})();
