"""Fees are paid through a payment service (in development clients_demo/payment_sim.py):
the app creates a payment, sends the person to its page, and on their return asks the
service itself whether it was paid (the return URL proves nothing)."""

from dataclasses import dataclass

import requests


class PaymentUnavailableError(Exception):
    pass


@dataclass(frozen=True)
class Payment:
    id: str
    status: str  # pending | paid | declined
    amount: str
    currency: str
    reference: str
    pay_url: str | None = None


class HttpPaymentGateway:
    def __init__(self, base_url, api_key, timeout=10):
        self.base_url = (base_url or "").rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def create(self, amount, currency, description, reference, return_url):
        return self._call("POST", "/api/v1/payments", json={
            "amount": amount, "currency": currency, "description": description,
            "reference": reference, "return_url": return_url}, expect=201)

    def status(self, payment_id):
        return self._call("GET", f"/api/v1/payments/{payment_id}", expect=200)

    def _call(self, method, path, expect, **kwargs):
        if not self.base_url:
            raise PaymentUnavailableError("no payment service configured")
        try:
            response = requests.request(method, self.base_url + path, timeout=self.timeout,
                                        headers={"X-API-Key": self.api_key or ""}, **kwargs)
            body = response.json()
        except (requests.RequestException, ValueError) as error:
            raise PaymentUnavailableError(type(error).__name__) from None
        if response.status_code != expect or not isinstance(body, dict):
            raise PaymentUnavailableError(f"HTTP {response.status_code}")
        try:
            return Payment(id=body["id"], status=body["status"], amount=body["amount"],
                           currency=body["currency"], reference=body["reference"],
                           pay_url=body.get("pay_url"))
        except KeyError as error:
            raise PaymentUnavailableError(f"missing {error}") from None
