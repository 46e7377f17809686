// The Bawaba card agent's HTTP API (docs/card-agent.md), on the citizen's own computer:
// the only code of the provider's pages that talks to the agent.
//
//   POST   /authenticate        {origin, nonce} -> 202 {id, state, pin_page}
//   GET    /authenticate/<id>   {state: waiting_for_pin | signing | done | failed,
//                                token (done), error and tries_left (failed)}
//   DELETE /authenticate/<id>   cancel
//
// Errors carry the agent's code (no_reader, no_card, card_removed, wrong_pin, pin_blocked,
// user_cancelled, timeout, busy, origin_not_trusted, card_error); "agent_not_running" when
// nothing answers.

const POLL_MS = 1000;

export class AgentError extends Error {
  constructor(code, triesLeft) {
    super(code);
    this.code = code;
    this.triesLeft = Number.isInteger(triesLeft) ? triesLeft : null;
  }
}

export class CardAgent {
  constructor(baseUrl) {
    this.base = baseUrl.replace(/\/+$/, "");
  }

  async call(method, path, body) {
    const options = { method, cache: "no-store", credentials: "omit", mode: "cors" };
    if (body !== undefined) {
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(this.base + path, options);
    } catch {
      throw new AgentError("agent_not_running");
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      throw new AgentError("card_error");
    }
    if (!response.ok) {
      throw new AgentError((data && data.error) || "card_error", data && data.tries_left);
    }
    return data;
  }

  // Whether an address is one of the agent's own pages (the PIN page).
  owns(url) {
    return typeof url === "string" && url.startsWith(this.base + "/");
  }

  cancel(id) {
    return this.call("DELETE", "/authenticate/" + encodeURIComponent(id)).catch(() => null);
  }

  // Ask for a signature over origin and nonce; onState(item) hears each state until the
  // Web eID token arrives (returned) or the agent reports a failure (AgentError).
  async authenticate(origin, nonce, onState, signal) {
    const item = await this.call("POST", "/authenticate", { origin, nonce });
    onState(item);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (signal && signal.aborted) {
        await this.cancel(item.id);
        throw new AgentError("user_cancelled");
      }
      const current = await this.call("GET", "/authenticate/" + encodeURIComponent(item.id));
      if (current.state === "done") {
        return current.token;
      }
      if (current.state === "failed") {
        throw new AgentError(current.error || "card_error", current.tries_left);
      }
      onState(current);
    }
  }
}
