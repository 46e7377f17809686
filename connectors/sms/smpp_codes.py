"""SMPP v3.4 numbers used by the client transport and the simulator.

Section numbers refer to the SMPP v3.4 specification (Issue 1.2, 1999).
"""

import enum


class CommandId(enum.IntEnum):
    """command_id values (§5.1.2.1)."""

    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    QUERY_SM = 0x00000003
    QUERY_SM_RESP = 0x80000003
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015


class CommandStatus(enum.IntEnum):
    """command_status values (§5.1.3) that Bawaba tells apart."""

    ESME_ROK = 0x00000000
    ESME_RINVMSGLEN = 0x00000001
    ESME_RINVCMDLEN = 0x00000002
    ESME_RINVCMDID = 0x00000003
    ESME_RINVBNDSTS = 0x00000004
    ESME_RALYBND = 0x00000005
    ESME_RSYSERR = 0x00000008
    ESME_RINVSRCADR = 0x0000000A
    ESME_RINVDSTADR = 0x0000000B
    ESME_RINVMSGID = 0x0000000C
    ESME_RBINDFAIL = 0x0000000D
    ESME_RINVPASWD = 0x0000000E
    ESME_RINVSYSID = 0x0000000F
    ESME_RMSGQFUL = 0x00000014
    ESME_RINVESMCLASS = 0x00000043
    ESME_RSUBMITFAIL = 0x00000045
    ESME_RINVDSTTON = 0x00000050
    ESME_RTHROTTLED = 0x00000058
    ESME_RINVOPTPARAMVAL = 0x000000C4
    ESME_RDELIVERYFAILURE = 0x000000FE
    ESME_RUNKNOWNERR = 0x000000FF

    @classmethod
    def name_of(cls, value: int) -> str:
        """The symbolic name of a status, or its hex value for statuses not listed."""
        try:
            return cls(value).name
        except ValueError:
            return f"0x{value:08X}"


# Bind refusals caused by our own credentials or configuration.
BIND_CREDENTIAL_STATUSES = frozenset({
    CommandStatus.ESME_RINVPASWD, CommandStatus.ESME_RINVSYSID, CommandStatus.ESME_RBINDFAIL,
})
# The SMS centre asks us to slow down.
THROTTLING_STATUSES = frozenset({CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL})
# The SMS centre itself is failing.
OUTAGE_STATUSES = frozenset({CommandStatus.ESME_RSYSERR, CommandStatus.ESME_RUNKNOWNERR})


class MessageState(enum.IntEnum):
    """message_state values (§5.2.28), as carried by delivery receipts."""

    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8


class ReceiptStat(enum.Enum):
    """The ``stat:`` word of a delivery receipt's text (Appendix B)."""

    ENROUTE = "ENROUTE"
    DELIVRD = "DELIVRD"
    EXPIRED = "EXPIRED"
    DELETED = "DELETED"
    UNDELIV = "UNDELIV"
    ACCEPTD = "ACCEPTD"
    UNKNOWN = "UNKNOWN"
    REJECTD = "REJECTD"

    @property
    def state(self) -> MessageState:
        return MessageState[{
            "DELIVRD": "DELIVERED", "UNDELIV": "UNDELIVERABLE", "ACCEPTD": "ACCEPTED",
            "REJECTD": "REJECTED"}.get(self.value, self.value)]

    @classmethod
    def for_state(cls, state: MessageState) -> "ReceiptStat":
        return next(stat for stat in cls if stat.state is state)


class DataCoding(enum.IntEnum):
    """data_coding values (§5.2.19) Bawaba sends."""

    SMSC_DEFAULT = 0x00   # GSM 03.38 default alphabet, one septet per octet
    IA5 = 0x01
    LATIN1 = 0x03
    UCS2 = 0x08           # ISO/IEC 10646 UCS-2, big endian


class Ton(enum.IntEnum):
    """Type of number (§5.2.5)."""

    UNKNOWN = 0
    INTERNATIONAL = 1
    NATIONAL = 2
    ALPHANUMERIC = 5


class Npi(enum.IntEnum):
    """Numbering plan indicator (§5.2.6)."""

    UNKNOWN = 0
    ISDN = 1


class EsmClass(enum.IntFlag):
    """esm_class bits (§5.2.12) Bawaba uses."""

    DEFAULT = 0x00
    DELIVERY_RECEIPT = 0x04   # message type: SMSC delivery receipt (deliver_sm)
    UDHI = 0x40               # short_message starts with a user data header


class RegisteredDelivery(enum.IntFlag):
    """registered_delivery bits (§5.2.17)."""

    NONE = 0x00
    RECEIPT_ON_FINAL = 0x01   # receipt on success or failure


class Tag(enum.IntEnum):
    """TLV tags (§5.3.2) Bawaba uses."""

    RECEIPTED_MESSAGE_ID = 0x001E
    SAR_MSG_REF_NUM = 0x020C
    SAR_TOTAL_SEGMENTS = 0x020E
    SAR_SEGMENT_SEQNUM = 0x020F
    SC_INTERFACE_VERSION = 0x0210
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_PAYLOAD = 0x0424
    MESSAGE_STATE = 0x0427


INTERFACE_VERSION = 0x34

# Maximum lengths including the terminating NUL (§4.1).
SYSTEM_ID_MAX = 16
PASSWORD_MAX = 9
SYSTEM_TYPE_MAX = 13
ADDRESS_MAX = 21
