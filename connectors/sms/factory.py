"""Builds the configured SMS gateway from a settings mapping (``SMS_*`` keys).

==============================  ===========  =============================================
Key                             Default      Meaning
==============================  ===========  =============================================
SMS_TRANSPORT                   (required)   ``smpp``, ``http`` or ``memory`` (tests only)
SMS_SENDER                      ``Bawaba``   alphanumeric sender (≤ 11) or a number
SMS_TIMEOUT                     ``10``       seconds per connect / response
SMS_DEFAULT_REGION              ``OM``       region for numbers without country code
SMS_SMPP_HOST                   (required)   SMS centre host
SMS_SMPP_PORT                   ``2775``
SMS_SMPP_SYSTEM_ID              (required)   ≤ 15 ASCII characters
SMS_SMPP_PASSWORD               (required)   ≤ 8 ASCII characters
SMS_SMPP_SYSTEM_TYPE            ``""``
SMS_SMPP_LONG_MESSAGES          ``udh``      ``udh``, ``sar`` or ``payload``
SMS_SMPP_ENQUIRE_LINK_INTERVAL  ``30``       idle seconds before ``enquire_link``
SMS_SMPP_UCS2_ONLY              ``false``    never use the GSM 7-bit alphabet
SMS_HTTP_URL                    (required)   message submission URL
SMS_HTTP_API_KEY                (required)
SMS_HTTP_API_KEY_HEADER         ``X-API-Key``
SMS_HTTP_RETRIES                ``2``        extra attempts on transport failure / 5xx
SMS_HTTP_BACKOFF                ``0.5``      seconds before the first retry, then doubled
SMS_HTTP_CALLBACK_URL           (none)       where the gateway POSTs delivery reports
SMS_HTTP_CA_FILE                (none)       CA bundle for the gateway's certificate
==============================  ===========  =============================================
"""

from collections.abc import Mapping

from connectors.errors import ConfigurationError
from connectors.msisdn import DEFAULT_REGION
from connectors.settings import SettingsReader
from connectors.sms.gateway import CONNECTOR
from connectors.sms.gateway import DeliveryCallback
from connectors.sms.gateway import SmsGateway
from connectors.sms.http_gateway import HttpGatewaySettings
from connectors.sms.http_gateway import HttpSmsGateway
from connectors.sms.memory import InMemorySmsGateway
from connectors.sms.smpp import LongMessageMode
from connectors.sms.smpp import SmppSettings
from connectors.sms.smpp import SmppSmsGateway

TRANSPORTS = ("smpp", "http", "memory")


def sms_gateway_from_settings(settings: Mapping[str, object], *,
                              on_delivery: DeliveryCallback | None = None) -> SmsGateway:
    """The gateway chosen by ``SMS_TRANSPORT``; ``ConfigurationError`` if settings are bad.

    ``on_delivery`` receives delivery reports from the SMPP and memory transports;
    the HTTP gateway POSTs its reports to ``SMS_HTTP_CALLBACK_URL`` instead.
    """
    read = SettingsReader(settings, CONNECTOR)
    transport = read.choice("SMS_TRANSPORT", TRANSPORTS)
    sender = read.text("SMS_SENDER", "Bawaba")
    timeout = read.number("SMS_TIMEOUT", 10.0, minimum=0.001)
    region = read.text("SMS_DEFAULT_REGION", DEFAULT_REGION)
    if transport == "memory":
        return InMemorySmsGateway(default_region=region, on_delivery=on_delivery)
    if transport == "smpp":
        modes = tuple(mode.value for mode in LongMessageMode)
        return SmppSmsGateway(SmppSettings(
            host=read.text("SMS_SMPP_HOST"),
            port=read.integer("SMS_SMPP_PORT", 2775, minimum=1),
            system_id=read.text("SMS_SMPP_SYSTEM_ID"),
            password=read.text("SMS_SMPP_PASSWORD"),
            system_type=read.text("SMS_SMPP_SYSTEM_TYPE", ""),
            sender=sender, timeout=timeout,
            enquire_link_interval=read.number("SMS_SMPP_ENQUIRE_LINK_INTERVAL", 30.0,
                                              minimum=1.0),
            long_messages=LongMessageMode(read.choice("SMS_SMPP_LONG_MESSAGES", modes, "udh")),
            allow_gsm7=not read.flag("SMS_SMPP_UCS2_ONLY"),
            default_region=region,
        ), on_delivery=on_delivery)
    if on_delivery is not None and not settings.get("SMS_HTTP_CALLBACK_URL"):
        raise ConfigurationError("the HTTP transport reports deliveries to "
                                 "SMS_HTTP_CALLBACK_URL, which is not set", connector=CONNECTOR)
    ca_file = read.text("SMS_HTTP_CA_FILE", None)
    return HttpSmsGateway(HttpGatewaySettings(
        url=read.text("SMS_HTTP_URL"),
        api_key=read.text("SMS_HTTP_API_KEY"),
        api_key_header=read.text("SMS_HTTP_API_KEY_HEADER", "X-API-Key"),
        sender=sender, timeout=timeout,
        retries=read.integer("SMS_HTTP_RETRIES", 2),
        backoff=read.number("SMS_HTTP_BACKOFF", 0.5),
        callback_url=read.text("SMS_HTTP_CALLBACK_URL", None),
        verify=ca_file or True,
        default_region=region,
    ))
