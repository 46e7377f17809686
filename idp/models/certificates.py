"""The certificate authority's records: the hierarchy (CAs and OCSP responders, whose
private keys stay in the PKCS#11 token), every certificate issued, and the CRLs published.
`CertificateStore` is the storage interface `idp.pki` is given."""

from cryptography import x509

from ..extensions import db
from .types import UTCDateTime
from .types import utcnow

GOOD = "good"
REVOKED = "revoked"
STATUSES = (GOOD, REVOKED, "hold")
HOLD_REASON = "certificateHold"


class Authority(db.Model):
    __tablename__ = "pki_authorities"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(32), unique=True, nullable=False)
    role = db.Column(db.String(16), nullable=False)  # root, issuing, ocsp
    parent_id = db.Column(db.Integer, db.ForeignKey("pki_authorities.id"))
    key_id = db.Column(db.String(64), nullable=False)  # CKA_ID in the token
    curve = db.Column(db.String(16), nullable=False)
    certificate_der = db.Column(db.LargeBinary, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    parent = db.relationship("Authority", remote_side=[id])

    @property
    def certificate(self):
        return x509.load_der_x509_certificate(self.certificate_der)


class IssuedCertificate(db.Model):
    __tablename__ = "pki_certificates"

    id = db.Column(db.Integer, primary_key=True)
    serial = db.Column(db.String(42), unique=True, nullable=False)  # lowercase hex
    issuer_id = db.Column(db.Integer, db.ForeignKey("pki_authorities.id"), nullable=False)
    profile = db.Column(db.String(16), nullable=False, index=True)
    national_id = db.Column(db.String(32), index=True)
    subject = db.Column(db.Text, nullable=False)
    not_before = db.Column(UTCDateTime, nullable=False)
    not_after = db.Column(UTCDateTime, nullable=False)
    der = db.Column(db.LargeBinary, nullable=False)
    status = db.Column(db.String(8), nullable=False, default=GOOD, index=True)
    revoked_at = db.Column(UTCDateTime)
    revocation_reason = db.Column(db.String(32))
    issued_at = db.Column(UTCDateTime, nullable=False)

    issuer = db.relationship(Authority, lazy="joined")

    @property
    def state(self):
        """good, revoked, or hold (revoked with reason certificateHold)."""
        if self.status == REVOKED and self.revocation_reason == HOLD_REASON:
            return "hold"
        return self.status

    def to_dict(self):
        return {
            "serial": self.serial,
            "issuer": self.issuer.name,
            "profile": self.profile,
            "national_id": self.national_id,
            "subject": self.subject,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "status": self.state,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revocation_reason": self.revocation_reason,
            "issued_at": self.issued_at.isoformat(),
        }


class PublishedCrl(db.Model):
    __tablename__ = "pki_crls"
    __table_args__ = (db.UniqueConstraint("authority_id", "number"),)

    id = db.Column(db.Integer, primary_key=True)
    authority_id = db.Column(db.Integer, db.ForeignKey("pki_authorities.id"), nullable=False)
    number = db.Column(db.BigInteger, nullable=False)
    this_update = db.Column(UTCDateTime, nullable=False)
    next_update = db.Column(UTCDateTime, nullable=False)
    der = db.Column(db.LargeBinary, nullable=False)


TRUSTED_ROLES = ("root", "issuing")
_CA_RECORD = (db.select(IssuedCertificate.id)  # the authority's own certificate as issued
              .where(IssuedCertificate.profile == Authority.role,
                     IssuedCertificate.der == Authority.certificate_der))
_TRUST = (
    db.select(Authority.id, Authority.role, Authority.certificate_der,
              _CA_RECORD.with_only_columns(IssuedCertificate.status).scalar_subquery(),
              _CA_RECORD.with_only_columns(IssuedCertificate.revocation_reason)
              .scalar_subquery(),
              db.select(db.func.max(PublishedCrl.number))
              .where(PublishedCrl.authority_id == Authority.id).scalar_subquery())
    .where(Authority.role.in_(TRUSTED_ROLES)).order_by(Authority.id)
)


class CertificateStore:
    """Queries the certificate authority runs; the caller commits."""

    def trust(self):
        """What validators are built from, in one small query: per root and issuing CA,
        (id, role, certificate DER, status and revocation reason of that certificate, number
        of its latest CRL). Adding, removing, renewing, revoking or releasing a CA, or
        publishing a CRL, changes the answer."""
        rows = db.session.connection().execute(_TRUST).all()
        return tuple(tuple(row) for row in rows)

    def authorities(self):
        return db.session.execute(db.select(Authority).order_by(Authority.id)).scalars().all()

    def authority(self, name):
        if not isinstance(name, str):
            return None
        return db.session.execute(db.select(Authority).filter_by(name=name)).scalar_one_or_none()

    def add_authority(self, name, role, parent, key_id, curve, certificate_der, now):
        row = Authority(name=name, role=role, parent=parent, key_id=key_id, curve=curve,
                        certificate_der=certificate_der, created_at=now)
        db.session.add(row)
        db.session.flush()
        return row

    def add_certificate(self, issuer, serial, profile, national_id, subject, not_before,
                        not_after, der, now):
        row = IssuedCertificate(issuer=issuer, serial=serial, profile=profile,
                                national_id=national_id, subject=subject,
                                not_before=not_before, not_after=not_after, der=der,
                                status=GOOD, issued_at=now)
        db.session.add(row)
        db.session.flush()
        return row

    def certificate(self, serial, issuer=None):
        if not isinstance(serial, str):
            return None
        query = db.select(IssuedCertificate).filter_by(serial=serial)
        if issuer is not None:
            query = query.filter_by(issuer_id=issuer.id)
        return db.session.execute(query).scalar_one_or_none()

    def search(self, national_id=None, serial=None, status=None, profile=None, limit=500):
        query = db.select(IssuedCertificate).order_by(IssuedCertificate.id)
        if national_id is not None:
            query = query.filter_by(national_id=national_id)
        if serial is not None:
            query = query.filter_by(serial=serial)
        if profile is not None:
            query = query.filter_by(profile=profile)
        if status == "hold":
            query = query.filter_by(status=REVOKED, revocation_reason=HOLD_REASON)
        elif status == REVOKED:
            query = query.filter(IssuedCertificate.status == REVOKED,
                                 IssuedCertificate.revocation_reason != HOLD_REASON)
        elif status is not None:
            query = query.filter_by(status=status)
        return db.session.execute(query.limit(limit)).scalars().all()

    def revoked(self, issuer):
        query = (db.select(IssuedCertificate)
                 .filter_by(issuer_id=issuer.id, status=REVOKED)
                 .order_by(IssuedCertificate.revoked_at, IssuedCertificate.id))
        return db.session.execute(query).scalars().all()

    def lock(self, authority):
        """Serialise CRL numbering per authority (row lock; SQLite locks the database)."""
        db.session.execute(db.select(Authority.id).filter_by(id=authority.id).with_for_update())

    def latest_crl(self, authority):
        query = (db.select(PublishedCrl).filter_by(authority_id=authority.id)
                 .order_by(PublishedCrl.number.desc()).limit(1))
        return db.session.execute(query).scalar_one_or_none()

    def add_crl(self, authority, number, this_update, next_update, der):
        row = PublishedCrl(authority_id=authority.id, number=number, this_update=this_update,
                           next_update=next_update, der=der)
        db.session.add(row)
        db.session.flush()
        return row
