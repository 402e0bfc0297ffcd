// Forms whose choices depend on earlier answers redraw themselves through htmx when a field
// changes. Without JavaScript a button does the same by a full post; with htmx it is removed.
(function () {
  "use strict";
  function removeRefreshButtons() {
    if (!window.htmx) {
      return;
    }
    document.querySelectorAll("[data-refresh-button]").forEach(function (button) {
      button.remove();
    });
  }
  document.addEventListener("DOMContentLoaded", removeRefreshButtons);
  document.addEventListener("htmx:afterSettle", removeRefreshButtons);
})();
