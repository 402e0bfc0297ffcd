// The management-mode form: show the takeover fields only for the public mode, offer only the
// companies that fit the chosen mode, and keep the "from → to" summary up to date.
// Without this script the form still works: every field is shown and the server checks it all.
(function () {
  "use strict";
  var form = document.querySelector("[data-mode-form]");
  if (!form) {
    return;
  }
  var publicMode = form.getAttribute("data-public-mode");
  var mode = form.querySelector("select[name=mode]");
  var company = form.querySelector("select[name=company]");
  var effective = form.querySelector("input[name=effective_on]");
  var takeover = form.querySelector("[data-takeover-fields]");
  // Which company kind each mode takes; other modes take none.
  var kinds = { professional: "professional", public: "public" };

  function selectedText(select) {
    var option = select && select.options[select.selectedIndex];
    return option && option.value ? option.text : "";
  }

  function setSummary(name, text) {
    var target = form.querySelector('[data-summary="' + name + '"]');
    if (target) {
      target.textContent = text;
    }
  }

  function update() {
    var chosen = mode ? mode.value : "";
    if (takeover) {
      takeover.classList.toggle("d-none", chosen !== publicMode);
      takeover.disabled = chosen !== publicMode;
    }
    if (company) {
      var wanted = kinds[chosen] || null;
      var fitting = [];
      Array.prototype.forEach.call(company.options, function (option) {
        if (!option.value) {
          return;
        }
        var fits = wanted !== null && option.getAttribute("data-kind") === wanted;
        option.disabled = !fits;
        option.hidden = !fits;
        if (fits) {
          fitting.push(option);
        } else if (option.selected) {
          company.value = "";
        }
      });
      // A takeover by the street's only public company needs no choosing.
      if (!company.value && fitting.length === 1 && chosen === publicMode) {
        company.value = fitting[0].value;
      }
    }
    setSummary("mode", selectedText(mode) || "…");
    setSummary("company", selectedText(company));
    setSummary("effective_on", effective ? effective.value : "");
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
