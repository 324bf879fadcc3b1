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

  // The ticket the sidebar shows, and what to do once a connect window was opened.
  var ticketShown = null;
  var afterConnect = null;

  function connect(backend) {
    // Opened at once (inside the click) so no popup blocker steps in; the address
    // follows when zdcal answers: a one-minute, single-use link that signs the agent in
    // there (first-party for zdcal) and goes on to the calendar service's consent.
    var opened = window.open("about:blank", "zdcal-connect");
    call("POST", "handoff", { backend: backend }).then(function (data) {
      if (data.url && opened) {
        opened.location.href = data.url;
        if (afterConnect) { afterConnect(); }
      } else {
        if (opened) { opened.close(); }
        say(data.message || "Your browser blocked zdcal's window; allow pop-ups.", true);
      }
    });
  }

  function connectButtons() {
    var buttons = document.querySelectorAll("#connect button[data-backend]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () { connect(button.dataset.backend); });
    });
  }

  function showTicket(ticketId) {
    return call("GET", "tickets/" + ticketId).then(function (status) {
      var words = document.getElementById("status-words");
      if (status.message && !status.state) { say(status.message, true); return status; }
      words.textContent = status.words;
      words.className = "state " + status.state;
      document.getElementById("status-detail").textContent =
        status.date ? "Due " + status.date : "";
      document.getElementById("connect").hidden = !status.connect;
      connectedNow(status);
      return status;
    });
  }

  // While the agent connects in zdcal's window, read the ticket again every few seconds
  // (for ten minutes at most) until their calendar takes events and the ticket's words
  // settle; and whenever the app is looked at again (focus, a tab coming back).
  var connectPoll = null;

  function followConnect() {
    say("Finish connecting in zdcal's window; this sidebar follows.", false);
    var tries = 0;
    if (connectPoll !== null) { clearInterval(connectPoll); }
    connectPoll = setInterval(function () {
      tries += 1;
      if (ticketShown === null || tries > 200) { stopFollowing(); return; }
      showTicket(ticketShown);
    }, 3000);
  }

  function stopFollowing() {
    if (connectPoll !== null) { clearInterval(connectPoll); connectPoll = null; }
  }

  function connectedNow(status) {
    if (connectPoll !== null && status.ready && status.state !== "waiting") {
      stopFollowing();
      say("Your calendar is connected.", false);
    }
  }

  function refreshOnReturn() {
    var refresh = function () {
      if (ticketShown !== null && document.visibilityState !== "hidden") {
        showTicket(ticketShown);
      }
    };
    window.addEventListener("focus", refresh);
    document.addEventListener("visibilitychange", refresh);
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
    afterConnect = followConnect;
    refreshOnReturn();
    client.get("ticket.id").then(function (data) {
      var ticketId = data["ticket.id"];
      ticketShown = ticketId;
      showTicket(ticketId);
      document.getElementById("resync").addEventListener("click", function () {
        call("POST", "tickets/" + ticketId + "/resync").then(function (answer) {
          say(answer.message, answer.error);
          setTimeout(function () { showTicket(ticketId); }, 1500);
        });
      });
    }, function () { say("Zendesk did not say which ticket is open.", true); });
    connectButtons();
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
    afterConnect = function () {
      say("Finish connecting in zdcal's window, then open this page again.", false);
    };
    connectButtons();
  }

  if (view === "sidebar") { sidebar(); } else { settings(); }
})();
