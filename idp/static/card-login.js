// The ID card login page: get a challenge from the provider, have the card agent sign it
// after the citizen enters the PIN there, post the Web eID token. Every text comes from
// the page (#card-messages), in the page's language.

import { AgentError, CardAgent } from "./card-agent.js";

const form = document.getElementById("card-form");
if (form) {
  setUp(form);
}

function setUp(form) {
  const status = document.getElementById("card-status");
  const pinLink = document.getElementById("card-pin-link");
  const start = document.getElementById("card-start");
  const cancel = document.getElementById("card-cancel");
  const csrf = form.elements.csrf_token.value;
  const tx = form.elements.tx.value;
  const agent = new CardAgent(form.dataset.agent);
  const messages = new Map();
  for (const item of document.querySelectorAll("#card-messages [data-code]")) {
    messages.set(item.dataset.code, item.textContent);
  }
  let controller = null;

  function say(code, triesLeft) {
    let text = messages.get(code) || messages.get("failed");
    if (code === "wrong_pin" && Number.isInteger(triesLeft)) {
      text = messages.get("wrong_pin_tries").replace("{tries}", String(triesLeft));
    }
    status.textContent = text;
  }

  function busy(on) {
    start.hidden = on;
    cancel.hidden = !on;
    if (!on) {
      pinLink.hidden = true;
    }
  }

  async function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
  }

  function report(error) {
    post(form.dataset.report, { tx, error: error.code, tries_left: error.triesLeft })
      .catch(() => null);
  }

  function onState(item) {
    if (item.state === "waiting_for_pin") {
      say("enter_pin");
      if (agent.owns(item.pin_page)) {
        pinLink.querySelector("a").href = item.pin_page;
        pinLink.hidden = false;
      }
    } else if (item.state === "signing") {
      pinLink.hidden = true;
      say("signing");
    }
  }

  async function logIn() {
    controller = new AbortController();
    busy(true);
    say("working");
    const existing = document.getElementById("card-error");
    if (existing) {
      existing.remove();
    }
    let challenge;
    try {
      const response = await post(form.dataset.challenge, { tx });
      if (!response.ok) {
        throw new Error("challenge refused");
      }
      challenge = await response.json();
    } catch {
      busy(false);
      say("failed");
      return;
    }
    try {
      const token = await agent.authenticate(challenge.origin, challenge.nonce, onState,
                                             controller.signal);
      say("sending");
      form.elements.token.value = JSON.stringify(token);
      form.submit();
    } catch (error) {
      busy(false);
      const failure = error instanceof AgentError ? error : new AgentError("card_error");
      say(failure.code, failure.triesLeft);
      report(failure);
    }
  }

  start.addEventListener("click", logIn);
  cancel.addEventListener("click", () => {
    if (controller) {
      controller.abort();
    }
  });
  start.hidden = false;
}
