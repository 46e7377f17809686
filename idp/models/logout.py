"""Back-channel logout deliveries (OpenID Connect Back-Channel Logout 1.0 §2.5), kept
until the relying party acknowledges them so failures can be retried."""

from ..extensions import db
from .types import UTCDateTime


class BackchannelDelivery(db.Model):
    __tablename__ = "backchannel_deliveries"

    id = db.Column(db.Integer, primary_key=True)
    client_id = db.Column(db.String(64), nullable=False)
    uri = db.Column(db.Text, nullable=False)
    logout_token = db.Column(db.Text, nullable=False)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(UTCDateTime, nullable=False, index=True)
    delivered_at = db.Column(UTCDateTime)
    abandoned_at = db.Column(UTCDateTime)
    last_error = db.Column(db.String(200))
    created_at = db.Column(UTCDateTime, nullable=False)
