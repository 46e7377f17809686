// The Mobile ID waiting page: ask the provider every few seconds how the request on the
// phone stands; go on when it is done, say why when it failed. Every text comes from the
// page or from the provider's answer, in the page's language. Without JavaScript the
// "I have confirmed" button asks once.

const form = document.getElementById("mobile-id-wait");
if (form) {
  setUp(form);
}

function setUp(form) {
  const waiting = document.getElementById("mobile-id-waiting");
  const failure = document.getElementById("mobile-id-failure");
  const retry = document.getElementById("mobile-id-retry");
  const cancel = document.getElementById("mobile-id-cancel");
  const csrf = form.elements.csrf_token.value;
  const tx = form.elements.tx.value;
  let interval = Math.max(1, Number(form.dataset.interval) || 2) * 1000;
  let stopped = false;

  function fail(message) {
    stopped = true;
    if (message) {
      failure.querySelector("p").textContent = message;
    }
    waiting.hidden = true;
    cancel.hidden = true;
    form.hidden = true;
    failure.hidden = false;
    retry.hidden = false;
  }

  async function ask() {
    if (stopped) {
      return;
    }
    let answer = null;
    try {
      const response = await fetch(form.dataset.status, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        body: new URLSearchParams({ tx }),
      });
      answer = await response.json();
      if (!response.ok) {
        fail(null);
        return;
      }
    } catch {
      setTimeout(ask, interval); // a network blip: ask again
      return;
    }
    if (answer.state === "done") {
      stopped = true;
      window.location.assign(answer.location);
    } else if (answer.state === "failed") {
      fail(answer.message);
    } else {
      if (Number.isFinite(answer.interval)) {
        interval = Math.max(1, answer.interval) * 1000;
      }
      setTimeout(ask, interval);
    }
  }

  cancel.addEventListener("submit", () => {
    stopped = true;
  });
  form.hidden = true; // the button without JavaScript
  setTimeout(ask, interval);
}
