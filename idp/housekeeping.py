"""Background upkeep in each server process: retry back-channel logouts and drop expired
one-time records, finished deliveries, sessions, and SMS codes and send counts over for a
day. Safe to run in several workers at once."""

import logging
import threading
import time
from datetime import timedelta

from .extensions import db
from .models import AuthorizationCode
from .models import BackchannelDelivery
from .models import UsedJti
from .models.citizens import delete_otp_records_before
from .models.sessions import delete_sessions_over
from .models.types import utcnow

log = logging.getLogger(__name__)
KEEP_FINISHED = timedelta(days=1)


def run_once(now=None):
    from .mobileid.signing import expire_overdue as expire_mobile_id
    from .oauth.backchannel import deliver_due
    from .oauth.ciba_delivery import expire_overdue as expire_ciba

    now = now or utcnow()
    deliver_due(now)
    expire_ciba(now)
    expire_mobile_id(now)
    db.session.execute(db.delete(AuthorizationCode).where(AuthorizationCode.expires_at < now))
    db.session.execute(db.delete(UsedJti).where(UsedJti.expires_at < now))
    before = now - KEEP_FINISHED
    db.session.execute(
        db.delete(BackchannelDelivery).where(
            (BackchannelDelivery.delivered_at < before)
            | (BackchannelDelivery.abandoned_at < before)
        )
    )
    delete_sessions_over(before)
    delete_otp_records_before(before)
    db.session.commit()


def start_housekeeping(app, interval=10):
    def loop():
        while True:
            time.sleep(interval)
            with app.app_context():
                try:
                    run_once()
                except Exception:  # the loop must outlive a database or token outage
                    db.session.rollback()
                    log.exception("housekeeping failed; retrying in %ss", interval)

    thread = threading.Thread(target=loop, name="housekeeping", daemon=True)
    thread.start()
    return thread
