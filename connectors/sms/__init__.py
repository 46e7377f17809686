"""SMS gateway connector: interface, SMPP and HTTPS transports, in-memory fake, simulator.

Typical use::

    from connectors.sms import sms_gateway_from_settings

    gateway = sms_gateway_from_settings(app.config)      # SMS_* keys
    receipt = gateway.send("+96891234567", text, reference=challenge_id)

See ``connectors.sms.gateway`` for the interface and ``docs/connectors.md``.
"""

from connectors.sms.factory import sms_gateway_from_settings
from connectors.sms.gateway import DeliveryReport
from connectors.sms.gateway import SmsGateway
from connectors.sms.gateway import SmsReceipt
from connectors.sms.gateway import SmsStatus

__all__ = ["DeliveryReport", "SmsGateway", "SmsReceipt", "SmsStatus", "sms_gateway_from_settings"]
