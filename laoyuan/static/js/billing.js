// The billing desk's small helpers. Every page works without them: the server checks everything.
(function () {
  "use strict";

  // "Print" buttons on receipts and reminders (no inline script: the content security policy).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });

  // "Choose all" boxes of the batch-printing tables.
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.closest("form");
      if (!form) {
        return;
      }
      form.querySelectorAll('tbody input[type="checkbox"]').forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });

  // A form submitted once is not submitted again by a second click (the server also refuses
  // to record a payment twice: the form's token is its reference).
  document.querySelectorAll("[data-submit-once]").forEach(function (button) {
    var form = button.closest("form");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        button.disabled = true;
      }, 0);
    });
  });

  // The scheme form: a standard tier fills in the basis and rate; typing another rate clears
  // the tier.
  var schemeForm = document.querySelector("[data-scheme-form]");
  if (schemeForm) {
    var tier = schemeForm.querySelector("select[name=tier]");
    var basis = schemeForm.querySelector("select[name=basis]");
    var rate = schemeForm.querySelector("input[name=rate]");
    if (tier && basis && rate) {
      tier.addEventListener("change", function () {
        if (!tier.value) {
          return;
        }
        var parts = tier.value.split(":");
        basis.value = parts[0];
        rate.value = Number(parts[1]).toFixed(2);
      });
      var clearTier = function () {
        if (!tier.value) {
          return;
        }
        var parts = tier.value.split(":");
        if (basis.value !== parts[0] || Number(rate.value) !== Number(parts[1])) {
          tier.value = "";
        }
      };
      basis.addEventListener("change", clearTier);
      rate.addEventListener("input", clearTier);
    }
  }

  // The payment form: a reference is needed for bank and POS payments, not for cash.
  var paymentForm = document.querySelector("[data-payment-form]");
  if (paymentForm) {
    var channel = paymentForm.querySelector("select[name=channel]");
    var reference = paymentForm.querySelector('[data-field="reference"]');
    var cash = paymentForm.getAttribute("data-cash");
    var showReference = function () {
      if (channel && reference) {
        reference.hidden = channel.value === cash && !reference.querySelector(".invalid-feedback");
      }
    };
    if (channel) {
      channel.addEventListener("change", showReference);
      showReference();
    }
  }

  // The day close: the difference of each channel as the count is typed.
  var closeForm = document.querySelector("[data-close-form]");
  if (closeForm) {
    var toFen = function (text) {
      var value = Number(text);
      return Number.isFinite(value) ? Math.round(value * 100) : NaN;
    };
    closeForm.querySelectorAll("tr[data-expected]").forEach(function (row) {
      var input = row.querySelector("input");
      var cell = row.querySelector("[data-difference]");
      var expected = toFen(row.getAttribute("data-expected"));
      var update = function () {
        var fen = toFen(input.value) - expected;
        if (Number.isNaN(fen)) {
          cell.textContent = "—";
          return;
        }
        var sign = fen > 0 ? "+" : fen < 0 ? "−" : "";
        cell.textContent = sign + (Math.abs(fen) / 100).toFixed(2);
        cell.classList.toggle("text-danger-emphasis", fen !== 0);
        cell.classList.toggle("fw-semibold", fen !== 0);
      };
      if (input && cell) {
        input.addEventListener("input", update);
        update();
      }
    });
  }
})();
