// Live preview of the event style: re-render the sample task as the form changes, and
// hide the "Preview" button, which only serves browsers without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("style-form");
  var target = document.getElementById("preview");
  if (!form || !target) { return; }
  var button = document.getElementById("preview-button");
  if (button) { button.hidden = true; }
  var pending = null;
  function refresh() {
    var data = new FormData(form);
    data.delete("csrf_token");  // never in a URL
    var query = new URLSearchParams(data).toString();
    fetch(form.dataset.preview + "?" + query, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { target.innerHTML = html; } })
      .catch(function () { /* keep the last preview */ });
  }
  function soon() {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(refresh, 200);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
