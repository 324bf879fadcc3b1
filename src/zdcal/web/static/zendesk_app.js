// The zdcal Zendesk app's pages: the ticket sidebar and the agent's settings.
// zdcal's app token (in the page, never a cookie: Zendesk frames the app in a
// third-party context) goes with every call as a bearer header. The ticket id comes
// from Zendesk's framework; zdcal reads everything else about the ticket itself.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="zdcal-app-token"]').content;
  var view = document.body.dataset.view;
  var client = window.ZAFClient ? window.ZAFClient.init() : null;

  function call(method, path, body) {
    var options = { method: method, headers: { Authorization: "Bearer " + token },
                    credentials: "omit" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("/zendesk-app/api/" + path, options).then(function (response) {
      return response.json().catch(function () {
        return { message: "zdcal did not answer as expected; reload the app.", error: true };
      }).then(function (data) {
        if (response.status === 401) {
          data = { message: "This app view expired; reload the app.", error: true };
        }
        return data;
      });
    });
  }

  function say(text, error) {
    var line = document.getElementById("app-message");
    line.textContent = text || "";
    line.className = error ? "flash error" : "flash ok";
    if (text) { line.scrollIntoView({ block: "nearest" }); }
  }

  function connect() {
    // Opened at once (inside the click) so no popup blocker steps in; the address
    // follows when zdcal answers. The new window is first-party for zdcal.
    var opened = window.open("about:blank", "zdcal-connect");
    call("POST", "handoff").then(function (data) {
      if (data.url && opened) { opened.location.href = data.url; }
      else { if (opened) { opened.close(); } say(data.message, true); }
    });
  }

  function showTicket(ticketId) {
    call("GET", "tickets/" + ticketId).then(function (status) {
      var words = document.getElementById("status-words");
      if (status.message && !status.state) { say(status.message, true); return; }
      words.textContent = status.words;
      words.className = "state " + status.state;
      document.getElementById("status-detail").textContent =
        status.date ? "Due " + status.date : "";
      document.getElementById("connect").hidden = !status.connect;
    });
  }

  // Zendesk's sidebar frame takes the height the app asks for: ask again whenever the
  // content's height changes (new words, a narrower sidebar).
  function fitFrame() {
    var main = document.querySelector("main");
    var fit = function () {
      client.invoke("resize", { width: "100%", height: (main.offsetHeight + 16) + "px" });
    };
    if (window.ResizeObserver) { new ResizeObserver(fit).observe(main); } else { fit(); }
  }

  function sidebar() {
    if (!client) { say("Open zdcal from its app inside Zendesk.", true); return; }
    fitFrame();
    client.get("ticket.id").then(function (data) {
      var ticketId = data["ticket.id"];
      showTicket(ticketId);
      document.getElementById("resync").addEventListener("click", function () {
        call("POST", "tickets/" + ticketId + "/resync").then(function (answer) {
          say(answer.message, answer.error);
          setTimeout(function () { showTicket(ticketId); }, 1500);
        });
      });
    }, function () { say("Zendesk did not say which ticket is open.", true); });
    document.getElementById("connect").addEventListener("click", connect);
  }

  function formValues(form) {
    var values = {};
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    return values;
  }

  function submitting(id, path) {
    var form = document.getElementById(id);
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      call("POST", path, formValues(form)).then(function (answer) {
        say(answer.message, answer.error);
      });
    });
  }

  function settings() {
    submitting("style-form", "style");
    submitting("two-way-form", "two-way");
    submitting("calendar-form", "calendar");
    var button = document.getElementById("connect");
    if (button) { button.addEventListener("click", connect); }
  }

  if (view === "sidebar") { sidebar(); } else { settings(); }
})();
